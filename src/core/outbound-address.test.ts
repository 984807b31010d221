import { describe, expect, test } from "bun:test";
import { isPrivateAddress, outboundUrlProblem } from "./outbound-address.ts";

describe("isPrivateAddress", () => {
  test.each([
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "224.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::192.168.0.1", "not-an-ip",
  ])("refuses %s", (ip) => expect(isPrivateAddress(ip)).toBe(true));

  test.each(["8.8.8.8", "93.184.215.14", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])("allows %s", (ip) =>
    expect(isPrivateAddress(ip)).toBe(false));
});

describe("outboundUrlProblem", () => {
  const resolveTo = (...ips: string[]) => async () => ips;

  test("refuses loopback and private literals, names the flag", async () => {
    expect(await outboundUrlProblem("http://127.0.0.1:9000/hook", false)).toContain("--webhook-allow-private");
    expect(await outboundUrlProblem("http://[::1]/hook", false)).toContain("::1");
    expect(await outboundUrlProblem("http://169.254.169.254/latest/meta-data", false)).toContain("169.254.169.254");
  });

  test("refuses a name when any of its addresses is private (DNS cannot smuggle one in)", async () => {
    expect(await outboundUrlProblem("https://hooks.example.com/x", false, resolveTo("8.8.8.8", "10.0.0.5"))).toContain("resolves to 10.0.0.5");
    expect(await outboundUrlProblem("https://hooks.example.com/x", false, resolveTo("8.8.8.8"))).toBeNull();
  });

  test("an unresolvable host, a bad scheme or credentials are refused", async () => {
    expect(await outboundUrlProblem("https://nowhere.invalid/", false, async () => { throw new Error("ENOTFOUND"); })).toContain("does not resolve");
    expect(await outboundUrlProblem("ftp://example.com/", false)).toContain("http://");
    expect(await outboundUrlProblem("not a url", false)).toContain("http://");
    expect(await outboundUrlProblem("https://u:p@example.com/", true)).toContain("password");
  });

  test("--webhook-allow-private lets loopback through", async () => {
    expect(await outboundUrlProblem("http://127.0.0.1:9000/hook", true)).toBeNull();
  });
});
