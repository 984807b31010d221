import { expect, test } from "bun:test";
import { connectFailureReason, retryIn } from "./connect-failure.ts";

// Details as grpc-js 1.14 under Bun reported them here, with the words a worker logs.
test.each([
  ["No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ", /^connection refused: nothing listens on that port/],
  ["Name resolution failed for target dns:nonexistent.invalid:50051", /^the host name does not resolve/],
  ["No connection established. Last error: Failed to connect (2026-12-06T23:46:11.683Z). Resolution note: ", /^the connection failed during setup \(TLS on one side only/],
  [
    "No connection established. Last error: error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED (2026-12-06T23:46:25.610Z). Resolution note: ",
    /^the coordinator requires a client certificate \(mutual TLS\)/,
  ],
  ["No connection established. Last error: self-signed certificate in certificate chain", /^the coordinator's certificate is not trusted \(check --grpc-tls-ca\)/],
  ["Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames", /^the coordinator's certificate does not name this address/],
  ["No connection established. Last error: connect ETIMEDOUT 10.0.0.9:50051", /^no answer in time/],
])("%s", (details, words) => {
  expect(connectFailureReason(details)).toMatch(words);
});

test("an unknown detail loses grpc-js's nesting and timestamps but keeps its text", () => {
  expect(connectFailureReason("UNAVAILABLE: No connection established. Last error: Error: something odd (2026-12-06T23:46:25.610Z). Resolution note: ")).toBe("something odd");
  expect(connectFailureReason("")).toBe("the connection failed without a reason");
});

test("retry delays in seconds", () => {
  expect([retryIn(40), retryIn(85), retryIn(1_460), retryIn(12_300)]).toEqual(["0.1 s", "0.1 s", "1.5 s", "12 s"]);
});
