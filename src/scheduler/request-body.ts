/**
 * Request bodies: at most 1 MiB (SPEC §3) and JSON only on the API.
 *
 * Bun's own limit (maxRequestBodySize) answers 413 with an empty body, so the
 * server sets it higher and the app enforces MAX_BODY_BYTES itself, answering
 * JSON: `bodyLimit()` refuses a declared Content-Length over the limit before
 * any byte is read, and `readJsonBody()` stops reading a chunked body (no
 * Content-Length) as soon as it passes the limit.
 *
 * The API takes `application/json` (or `application/*+json`) only, answering 415
 * otherwise, even with no Content-Type: a browser page may POST text/plain or a
 * typeless body cross-site without a CORS preflight, and this API runs shell
 * commands. Requiring JSON forces the preflight, which a foreign origin fails.
 */
import { Elysia } from "elysia";
import { errorBody, HttpError } from "./http-errors.ts";
import { MAX_BODY_BYTES } from "./http-server.ts";

const tooLarge = (max = MAX_BODY_BYTES) => new HttpError(413, "payload_too_large", `the request body is larger than ${max} bytes`);

/** Refuses requests whose Content-Length is over MAX_BODY_BYTES, on every route, without reading them (onRequest runs before routing). */
export function bodyLimit() {
  return new Elysia({ name: "body-limit" }).onRequest(({ request }) => {
    const length = Number(request.headers.get("content-length") ?? 0);
    if (!(length > MAX_BODY_BYTES)) return;
    const err = tooLarge();
    return Response.json(errorBody(err.code, err.message), { status: err.status });
  });
}

/**
 * Reads a JSON request body of at most `maxBytes`. Throws HttpError 415 for a
 * non-JSON Content-Type and 413 past the limit, and HttpError 400 for a body
 * that is not valid UTF-8 JSON.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new HttpError(415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const bytes = await readCapped(request, maxBytes);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "malformed_json", "the request body is not valid JSON");
  }
}

export function isJsonContentType(header: string | null): boolean {
  const type = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Dashboard form posts (a task or schedule with its command): the JSON limit. */
export const MAX_FORM_BYTES = MAX_BODY_BYTES;

/**
 * Reads a form body (application/x-www-form-urlencoded) of at most `maxBytes`,
 * chunked or not, without ever buffering more: HttpError 413 past the limit.
 */
export async function readFormBody(request: Request, maxBytes = MAX_FORM_BYTES): Promise<URLSearchParams> {
  return new URLSearchParams(new TextDecoder().decode(await readCapped(request, maxBytes)));
}

/** Reads a body of at most `maxBytes`, stopping (and 413) as soon as it passes the limit; every body is read through here. */
export async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (Number(declared ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array();
  // A declared length bounds what the server reads for this request: one native read, no chunk list.
  if (declared !== null) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading: the rest of an oversized upload is never buffered.
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
