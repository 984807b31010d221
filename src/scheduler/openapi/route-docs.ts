/**
 * How a feature documents a route in its `detail`: request bodies, query
 * parameters and answers as TypeBox schemas (which are JSON Schema). Documented,
 * not enforced by Elysia: bodies are read by readJsonBody and queries checked by
 * the features, and a route `response` schema would turn an answer that drifted
 * from it into a 422 blaming the client and silently strip unknown fields. The
 * response tests check real answers against these same schemas instead.
 *
 * A schema with an `$id` becomes a named component of the document (routes.ts).
 *
 * @example
 * detail: { responses: { 200: jsonAnswer("the task", TaskJsonSchema), 409: errorAnswer("the task has finished") } }
 */
import type { TObject, TSchema } from "@sinclair/typebox";
import type { OpenAPIV3 } from "openapi-types";
import { ErrorBodySchema } from "../http-errors.ts";

/** TypeBox schemas are JSON Schema; OpenAPI's types just do not know TypeBox's. */
const asOpenApi = (schema: TSchema) => schema as OpenAPIV3.SchemaObject;

/** A required `application/json` request body. */
export function jsonBody(schema: TSchema) {
  return { required: true, content: { "application/json": { schema: asOpenApi(schema) } } };
}

/** A JSON answer with its schema. */
export function jsonAnswer(description: string, schema: TSchema) {
  return { description, content: { "application/json": { schema: asOpenApi(schema) } } };
}

/** An error answer: the shape every error shares (http-errors.ts). */
export function errorAnswer(description: string) {
  return jsonAnswer(description, ErrorBodySchema);
}

/** One query parameter per property of `schema`, in order. */
export function queryParameters(schema: TObject): OpenAPIV3.ParameterObject[] {
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: "query",
    required: schema.required?.includes(name) ?? false,
    ...(property.description ? { description: property.description as string } : {}),
    schema: asOpenApi(property),
  }));
}
