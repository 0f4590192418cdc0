import type { ApolloServerPlugin } from '@apollo/server';
import { visit } from 'graphql';
import type { RequestContext } from './context.ts';
import { queryTooComplexIn } from './query-limits.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';
import { operationLabel } from './operation-label.ts';

/**
 * Fills each request's RequestRecord (src/api/http/request-log.ts), which writes the log line
 * and the request metrics when the response ends: the operation's bounded label and name, the
 * string literals of the document (inputs to scrub from any error it causes), and the body sent.
 * Counts QUERY_TOO_COMPLEX refusals once per request.
 */
export function observationPlugin(metrics: Metrics, production: boolean): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const record = contextValue?.request;
      if (!record) return;
      return {
        async didResolveOperation({ schema, document, operation, operationName }) {
          visit(document, { StringValue: (node) => void record.inputs.add(node.value) });
          if (operation) record.operation = operationLabel(schema, document, operation);
          record.noteOperationName(operationName);
        },
        async didEncounterErrors({ errors }) {
          const refused = errors.map((e) => queryTooComplexIn(e, production)).find((e) => e !== null);
          if (refused) metrics.countQueryTooComplex(refused.limit);
        },
        async willSendResponse({ response }) {
          // The transaction plugin may still replace this body's errors (a failed commit): the record reads them at the end.
          if (response.body.kind === 'single') record.noteResult(response.body.singleResult);
        },
      };
    },
  };
}
