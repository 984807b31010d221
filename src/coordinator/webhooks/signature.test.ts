/** The signature, and the verification snippets of docs/notifications.md run against it. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signWebhook, verifyWebhook } from "./signature.ts";

const doc = readFileSync(join(import.meta.dir, "../../../docs/notifications.md"), "utf8");
const block = (lang: string, containing: string) =>
  [...doc.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!).find((b) => b.includes(containing))!;

describe("webhook signatures", () => {
  const body = JSON.stringify({ id: "d1", event: "task.failed", text: "taskflow: task \"x\" failed" });
  const ts = 1_796_000_000;

  test("sha256= hex HMAC of timestamp.body; verify checks the secret, the body and the age", () => {
    const sig = signWebhook("s3cret", ts, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook("s3cret", ts, body, sig, ts + 10)).toBe(true);
    expect(verifyWebhook("other", ts, body, sig, ts + 10)).toBe(false);
    expect(verifyWebhook("s3cret", ts + 1, body, sig, ts + 10)).toBe(false);
    expect(verifyWebhook("s3cret", ts, body, sig, ts + 301)).toBe(false);
  });

  test("the documented JavaScript check accepts a real signature and refuses a forged one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "taskflow-sig-"));
    try {
      const file = join(dir, "verify.mjs");
      writeFileSync(file, `${block("js", "timingSafeEqual")}\nexport { verify };\n`);
      const { verify } = await import(file);
      const now = Math.floor(Date.now() / 1000);
      const headers = { "x-taskflow-timestamp": String(now), "x-taskflow-signature": signWebhook("s3cret", now, body) };
      expect(verify("s3cret", body, headers)).toBe(true);
      expect(verify("s3cret", body + " ", headers)).toBe(false);
      expect(verify("s3cret", body, { ...headers, "x-taskflow-signature": "sha256=00" })).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the documented shell check (dash + openssl) agrees", () => {
    const dir = mkdtempSync(join(tmpdir(), "taskflow-sig-"));
    try {
      writeFileSync(join(dir, "body.json"), body);
      const run = (signature: string) =>
        Bun.spawnSync(["sh", "-c", block("sh", "openssl dgst")], {
          cwd: dir,
          env: { PATH: process.env.PATH, TIMESTAMP: String(ts), SIGNATURE: signature, WEBHOOK_SECRET: "s3cret" },
        }).stdout.toString();
      expect(run(signWebhook("s3cret", ts, body))).toBe("signature ok\n");
      expect(run(signWebhook("wrong", ts, body))).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
