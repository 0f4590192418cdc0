import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ASTVisitor, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { QueryLimits } from '../../platform/config.ts';
import { AppError, badRequestInput, ErrorCode } from '../../core/errors.ts';
import { MAX_PAGE_SIZE } from '../../core/relay.ts';

/** Which limit refused an operation (the metrics label). */
import type { QueryLimitKind } from '../../platform/observability/metrics.ts';

export type { QueryLimitKind };

/** The error every refused operation gets (before any resolver runs). */
export class QueryTooComplex extends AppError {
  constructor(
    message: string,
    readonly limit: QueryLimitKind,
  ) {
    super(ErrorCode.QUERY_TOO_COMPLEX, message);
  }
}

export interface QueryLimitWiring {
  readonly validationRules: ValidationRule[];
  readonly parseOptions: ParseOptions;
}

/**
 * A subscription is a client error, not a server one: this API serves none (issue 15: it answered
 * 200 INTERNAL_SERVER_ERROR, from execution). Refused in validation: HTTP 400 GRAPHQL_VALIDATION_FAILED.
 */
export function noSubscriptions(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === 'subscription') context.reportError(new GraphQLError('Subscriptions are not supported by this API', { nodes: node }));
    },
  };
}

/**
 * The page size a list field multiplies its selection by: its `first` (given, from a variable, or its
 * default), within 1..MAX_PAGE_SIZE (the resolvers refuse anything else with BAD_USER_INPUT).
 */
const pageSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const first = typeof args.first === 'number' && Number.isFinite(args.first) ? Math.min(Math.max(Math.trunc(args.first), 1), MAX_PAGE_SIZE) : 1;
  return first * (1 + childComplexity);
};

/**
 * The cost of an operation with its variables: every field costs 1, and a field with a `first`
 * argument (a connection, or a bounded list such as Project.tasks) costs its page size times itself
 * and everything below it. So `task { project { tasks { project { tasks { title } } } } }` costs
 * about 100 × 100 × 3 with the default page sizes: lists reachable from an object can nest, but
 * the answer stays within the limit (issue 15: it used to grow as N^3). Raises BAD_USER_INPUT for
 * variables that do not fit their types.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined): number {
  try {
    return getComplexity({ schema, query: document, variables, operationName, estimators: [pageSizeEstimator, simpleEstimator({ defaultComplexity: 1 })] });
  } catch (err) {
    throw badRequestInput(err instanceof Error ? err.message : 'Invalid variables');
  }
}

/** Raises QueryTooComplex (cost) when the operation costs more than `maxCost`, before anything runs. */
export function enforceOperationCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, maxCost: number, production: boolean): void {
  const cost = operationCost(schema, document, variables, operationName);
  if (cost > maxCost) throw new QueryTooComplex(`Query too complex: ${production ? 'cost limit exceeded' : `cost ${cost} exceeds the limit of ${maxCost}`}`, 'cost');
}

/**
 * graphql-armor's depth, alias and directive limits as validation rules: Apollo runs them with
 * the specified rules, before execution, and answers 400. The cost limit needs the variables, so it
 * runs once the operation is resolved (enforceOperationCost, src/api/graphql/apollo.ts). Each rejection is reported as
 * QueryTooComplex, which formatError (src/api/graphql/apollo.ts) surfaces as QUERY_TOO_COMPLEX. The
 * numbers are in the message outside production only (they describe no schema, but need not be
 * advertised).
 *
 * The token limit is graphql-js's own (`parse(..., { maxTokens })`): the parser stops at the limit,
 * once. graphql-armor's Apollo token plugin parses every document a second time and throws from
 * `parsingDidStart`, which Apollo 5 handles as an unexpected error (500, and its
 * unexpectedErrorProcessingRequest hook relabels every internal error as GRAPHQL_VALIDATION_FAILED).
 * Field suggestions are Apollo's to hide (`hideSchemaDetailsFromClientErrors` in production).
 */
export function queryLimits(limits: QueryLimits, production: boolean): QueryLimitWiring {
  const report =
    (what: QueryLimitKind) =>
    (ctx: ValidationContext | null, err: GraphQLError): void =>
      ctx?.reportError(new QueryTooComplex(`Query too complex: ${production ? `${what} limit exceeded` : err.message.replace(/^Syntax Error: /, '')}`, what));
  const common = (what: QueryLimitKind) => ({ exposeLimits: true, propagateOnRejection: false, onReject: [report(what)] });
  const armor = new ApolloArmor({
    maxDepth: { n: limits.depth, ignoreIntrospection: true, ...common('depth') },
    costLimit: { enabled: false },
    maxAliases: { n: limits.aliases, ...common('alias') },
    maxDirectives: { n: limits.directives, ...common('directive') },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    validationRules: [noSubscriptions, ...armor.validationRules], // armor.plugins is empty: the two plugin-based protections are off
    parseOptions: { maxTokens: limits.tokens },
  };
}

/** graphql-js's message when `maxTokens` stops the parser (graphql 16 spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:an|at) (\d+) tokens\. Parsing aborted\.$/;

/**
 * The contract error for a refused operation, or null: a QueryTooComplex reported by a validation
 * rule (Apollo wraps it in its ValidationError), or the parser's token-limit syntax error.
 */
export function queryTooComplexIn(error: unknown, production: boolean): QueryTooComplex | null {
  if (error instanceof QueryTooComplex) return error;
  const cause = error instanceof GraphQLError ? error.originalError : undefined;
  if (cause instanceof QueryTooComplex) return cause;
  const tokens = cause instanceof GraphQLError ? TOKEN_LIMIT.exec(cause.message) : null;
  if (tokens) return new QueryTooComplex(`Query too complex: ${production ? 'token limit exceeded' : `more than ${tokens[1]} tokens`}`, 'token');
  return null;
}
