import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { QueryLimits } from '../config.ts';
import { AppError, ErrorCode } from '../errors.ts';

/** Which limit refused an operation (the metrics label). */
export type QueryLimitKind = 'depth' | 'cost' | 'alias' | 'directive' | 'token';

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
 * graphql-armor's depth, cost, alias and directive limits as validation rules: Apollo runs them with
 * the specified rules, before execution, and answers 400. Each rejection is reported as
 * QueryTooComplex, which formatError (src/graphql/apollo.ts) surfaces as QUERY_TOO_COMPLEX. The
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
    costLimit: { maxCost: limits.cost, ignoreIntrospection: true, ...common('cost') },
    maxAliases: { n: limits.aliases, ...common('alias') },
    maxDirectives: { n: limits.directives, ...common('directive') },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    validationRules: armor.validationRules, // armor.plugins is empty: the two plugin-based protections are off
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
  const cause = error instanceof GraphQLError ? error.originalError : undefined;
  if (cause instanceof QueryTooComplex) return cause;
  const tokens = cause instanceof GraphQLError ? TOKEN_LIMIT.exec(cause.message) : null;
  if (tokens) return new QueryTooComplex(`Query too complex: ${production ? 'token limit exceeded' : `more than ${tokens[1]} tokens`}`, 'token');
  return null;
}
