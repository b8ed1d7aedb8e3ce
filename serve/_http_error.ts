/**
 * An error that carries its HTTP answer: status, message and extra headers.
 *
 * @module
 */

/** An error the prediction server answers with `status` and `{ "error": message }`. */
export class HttpError extends Error {
  /** HTTP status code, e.g. 413. */
  readonly status: number;
  /** Extra response headers, e.g. `Allow` or `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status HTTP status code.
   * @param message What went wrong and what was expected, for the client.
   * @param headers Extra response headers. Default: none.
   */
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

/**
 * A JSON response.
 *
 * @param body Any JSON value.
 * @param status HTTP status. Default: 200.
 * @param headers Extra headers. Default: none.
 * @returns The response, `Content-Type: application/json`.
 */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The response of an {@linkcode HttpError}: `{ "error": message, "status": status }`. */
export function errorResponse(error: HttpError): Response {
  return jsonResponse({ error: error.message, status: error.status }, error.status, { ...error.headers });
}
