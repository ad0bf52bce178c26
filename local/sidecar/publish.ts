// The publish API, `POST /v1.0/publish/{pubsub}/{topic}`: metadata from `metadata.*` query parameters only, CloudEvent pass-through or wrapping, daprd's answers and error codes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CloudEventCreationError, publishEnvelope, traceContextOf } from "./cloudevent";
import { type ComponentPublisher, errorText } from "./component-publisher";
import { type DaprError, errorInfo, readBody, resourceInfo, sendDaprError, sendEmpty } from "./http-util";

export interface PublishApi {
  appId: string;
  publisher: ComponentPublisher;
  log: (line: string) => void;
}

/**
 * `metadata.<name>=<value>` query parameters, prefix removed. Headers are never metadata: a `partitionKey` header
 * is ignored, exactly as daprd ignores it.
 */
export function requestMetadata(query: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name.startsWith("metadata.") && name.length > "metadata.".length)
      metadata[name.slice("metadata.".length)] = value;
  }
  return metadata;
}

/** Go's `strconv.ParseBool`, which daprd uses for `rawPayload`. */
function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

function metadataError(pubsub: string, message: string): DaprError {
  const text = `failed deserializing metadata. Error: ${message}`;
  return {
    status: 400,
    errorCode: "ERR_PUBSUB_REQUEST_METADATA",
    message: text,
    details: [errorInfo("DAPR_PUBSUB_METADATA_DESERIALIZATION"), resourceInfo("pubsub", pubsub, text)],
  };
}

export async function handlePublish(
  req: IncomingMessage,
  res: ServerResponse,
  pubsub: string,
  topic: string,
  query: URLSearchParams,
  api: PublishApi,
): Promise<void> {
  if (pubsub === "") {
    return sendDaprError(res, { status: 404, errorCode: "ERR_PUBSUB_EMPTY", message: "pubsub name is empty" });
  }
  if (!api.publisher.has(pubsub)) {
    return sendDaprError(res, {
      status: 404,
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      message: `pubsub ${pubsub} is not found`,
      details: [errorInfo("DAPR_PUBSUB_NOT_FOUND")],
    });
  }
  if (topic === "") {
    return sendDaprError(res, {
      status: 404,
      errorCode: "ERR_TOPIC_EMPTY",
      message: `topic is empty in pubsub ${pubsub}`,
    });
  }
  const metadata = requestMetadata(query);
  const rawPayload = metadata.rawPayload === undefined ? false : parseGoBool(metadata.rawPayload);
  if (rawPayload === undefined) {
    return sendDaprError(
      res,
      metadataError(pubsub, `rawPayload value must be a valid boolean: actual is '${metadata.rawPayload}'`),
    );
  }
  const ttl = metadata.ttlInSeconds;
  if (ttl !== undefined && !/^-?\d+$/.test(ttl)) {
    return sendDaprError(res, metadataError(pubsub, `ttlInSeconds value must be a valid integer: actual is '${ttl}'`));
  }

  const body = await readBody(req);
  let data = body;
  if (!rawPayload) {
    try {
      const envelope = publishEnvelope({
        body,
        contentType: req.headers["content-type"],
        appId: api.appId,
        topic,
        pubsubname: pubsub,
        trace: traceContextOf(req.headers),
        ...(ttl === undefined ? {} : { ttlInSeconds: Number(ttl) }),
      });
      data = Buffer.from(JSON.stringify(envelope));
    } catch (error) {
      if (!(error instanceof CloudEventCreationError)) throw error;
      const message = "cannot create cloudevent";
      return sendDaprError(res, {
        status: 500,
        errorCode: "ERR_PUBSUB_CLOUD_EVENTS_SER",
        message,
        details: [
          errorInfo("DAPR_PUBSUB_CLOUD_EVENT_CREATION", { error: error.message }),
          resourceInfo("pubsub", pubsub, message),
        ],
      });
    }
  }

  try {
    await api.publisher.publish({ pubsub, topic, data, metadata });
  } catch (error) {
    const message = `error when publishing to topic ${topic} in pubsub ${pubsub}: ${errorText(error)}`;
    api.log(message);
    return sendDaprError(res, {
      status: 500,
      errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE",
      message,
      details: [
        errorInfo("DAPR_PUBSUB_PUBLISH_MESSAGE", { topic, error: errorText(error) }),
        resourceInfo("pubsub", pubsub, message),
      ],
    });
  }
  sendEmpty(res, 204);
}
