/**
 * A worker refuses to send its token (and take tasks) in clear across a network:
 * plaintext gRPC to a coordinator outside loopback exits 2 with one line, unless
 * --insecure says the network is trusted or TLS is configured.
 */
import { expect, test } from "bun:test";
import { checkPlaintextDial } from "../../src/config/bind-check.ts";
import { parseConfig } from "../../src/config/config.ts";
import { freePort, startTaskflow, waitFor } from "../support/processes.ts";

const TOKEN = `dial-${crypto.randomUUID()}`;

test("the real binary: a worker dialing 10.0.0.5 without TLS exits 2 with one line naming the fixes", async () => {
  const p = startTaskflow(["--role=worker", "--coordinator=10.0.0.5:50051"], { env: { TASKFLOW_TOKEN: TOKEN } });
  expect(await p.exited).toBe(2);
  const lines = p.output().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/--coordinator=10\.0\.0\.5:50051 is not a loopback address and gRPC has no TLS: .*--grpc-tls-ca.*or pass --insecure/);
  expect(lines[0]).not.toContain(TOKEN);
});

test("with --insecure the worker starts (and keeps trying to reach it)", async () => {
  const p = startTaskflow(["--role=worker", "--coordinator=10.0.0.5:50051", "--insecure"], { env: { TASKFLOW_TOKEN: TOKEN } });
  try {
    await waitFor("the worker to start", () => /worker|coordinator/i.test(p.output()) && p.proc.exitCode === null, 15_000);
    expect(p.proc.exitCode).toBeNull();
  } finally {
    p.kill("SIGKILL");
    await p.exited;
  }
});

test("loopback and TLS dials pass; names are judged by what they resolve to", async () => {
  const cfg = (flags: string[]) => parseConfig(["--role=worker", ...flags], {}).config;
  const resolveTo = (addresses: string[]) => async () => addresses;
  await expect(checkPlaintextDial(cfg([`--coordinator=127.0.0.1:${freePort()}`]))).resolves.toBeUndefined();
  await expect(checkPlaintextDial(cfg(["--coordinator=[::1]:50051"]))).resolves.toBeUndefined();
  await expect(checkPlaintextDial(cfg(["--coordinator=localhost:50051"]), resolveTo(["127.0.0.1"]))).resolves.toBeUndefined();
  await expect(checkPlaintextDial(cfg(["--coordinator=127.0.0.1.evil.example:50051"]), resolveTo(["203.0.113.9"]))).rejects.toThrow(/resolves to 203\.0\.113\.9/);
  // The second address of a failover list counts too.
  await expect(checkPlaintextDial(cfg(["--coordinator=127.0.0.1:1,coord.internal:50051"]), resolveTo(["10.1.1.1"]))).rejects.toThrow(/--coordinator=coord\.internal:50051/);
  await expect(checkPlaintextDial(cfg(["--coordinator=coord.internal:50051", "--grpc-tls-ca=ca.crt"]), resolveTo(["10.1.1.1"]))).resolves.toBeUndefined();
  // A worker beside its coordinator dials it on loopback even when the coordinator listens on every interface.
  await expect(checkPlaintextDial(parseConfig(["--role=all", "--grpc=0.0.0.0:50051", "--token=0123456789abcdef0"], {}).config)).resolves.toBeUndefined();
});
