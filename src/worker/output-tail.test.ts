import { describe, expect, test } from "bun:test";
import { OUTPUT_TAIL_BYTES, OutputTail } from "./output-tail.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("OutputTail", () => {
  test("defaults to 64 KiB", () => {
    expect(OUTPUT_TAIL_BYTES).toBe(65536);
    expect(new OutputTail().capacity).toBe(OUTPUT_TAIL_BYTES);
  });

  test("is empty before any write", () => {
    const tail = new OutputTail(8);
    tail.write(new Uint8Array(0));
    expect(tail.bytes().length).toBe(0);
    expect(tail.totalBytes).toBe(0);
  });

  test("keeps everything below the capacity", () => {
    const tail = new OutputTail(8);
    tail.write(bytes("abc"));
    tail.write(bytes("de"));
    expect(text(tail.bytes())).toBe("abcde");
  });

  test("keeps the last bytes across wraps", () => {
    const tail = new OutputTail(4);
    tail.write(bytes("abc"));
    tail.write(bytes("def")); // wraps mid-chunk
    expect(text(tail.bytes())).toBe("cdef");
    tail.write(bytes("g"));
    expect(text(tail.bytes())).toBe("defg");
    expect(tail.totalBytes).toBe(7);
  });

  test("a chunk larger than the capacity keeps only its end", () => {
    const tail = new OutputTail(4);
    tail.write(bytes("xy"));
    tail.write(bytes("0123456789"));
    expect(text(tail.bytes())).toBe("6789");
  });

  test("matches the naive tail for random chunk sizes", () => {
    const capacity = 37;
    const tail = new OutputTail(capacity);
    let all = "";
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const chunk = Array.from({ length: Math.floor(random() * 90) }, (_, j) =>
        String.fromCharCode(97 + ((i + j) % 26)),
      ).join("");
      tail.write(bytes(chunk));
      all += chunk;
      expect(text(tail.bytes())).toBe(all.slice(-capacity));
    }
  });

  test("bytes() returns a copy", () => {
    const tail = new OutputTail(4);
    tail.write(bytes("abcd"));
    tail.bytes().fill(0);
    expect(text(tail.bytes())).toBe("abcd");
  });

  test("rejects a capacity that is not a positive integer", () => {
    expect(() => new OutputTail(0)).toThrow(RangeError);
    expect(() => new OutputTail(1.5)).toThrow(RangeError);
  });
});
