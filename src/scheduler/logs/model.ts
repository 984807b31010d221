/** The JSON answer of the log routes, for the OpenAPI document and the response tests. */
import { Type } from "@sinclair/typebox";

export const LogJsonSchema = Type.Object(
  {
    task_id: Type.String({ format: "uuid" }),
    attempt: Type.Integer({ minimum: 1 }),
    stream: Type.Union([Type.Literal("stdout"), Type.Literal("stderr"), Type.Literal("both")]),
    offset: Type.Integer({ minimum: 0, description: "where text starts; past the asked offset when the bytes there were not kept" }),
    next_offset: Type.Integer({ minimum: 0, description: "the offset to ask for next" }),
    dropped_bytes: Type.Integer({ minimum: 0, description: "bytes of this log not kept (the worker's buffer or --max-log-bytes)" }),
    complete: Type.Boolean({ description: "the attempt has ended and next_offset is the end of its log" }),
    text: Type.String({ description: "the bytes as UTF-8 (invalid sequences replaced)" }),
  },
  { $id: "TaskLog" },
);
