// Proof-of-work solver, off the main thread: finds a nonce such that
// SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits (app/core/pow.py).
const BATCH = 256;

function zeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

onmessage = async ({ data: { challenge, difficulty } }) => {
  const enc = new TextEncoder();
  for (let start = 0; ; start += BATCH) {
    const tries = [];
    for (let n = start; n < start + BATCH; n++) {
      tries.push(crypto.subtle.digest("SHA-256", enc.encode(`${challenge}:${n}`)).then((d) => [n, d]));
    }
    for (const [n, digest] of await Promise.all(tries)) {
      if (zeroBits(new Uint8Array(digest)) >= difficulty) {
        postMessage({ nonce: String(n), tried: n + 1 });
        return;
      }
    }
    postMessage({ tried: start + BATCH });
  }
};
