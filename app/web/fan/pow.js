// Solves a queue-join proof-of-work challenge in a Web Worker, reporting progress.
/** Resolves to the nonce; onProgress(share 0..1) on the way (expected work is 2^difficulty). */
export function solve(challenge, difficulty, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(import.meta.resolve("./pow-worker.js"), { type: "module" });
    const expected = 2 ** difficulty;
    worker.onmessage = ({ data }) => {
      // The chance of having found it by now: 1 - e^(-tried/expected), an honest progress.
      onProgress(Math.min(0.99, 1 - Math.exp(-data.tried / expected)));
      if (data.nonce !== undefined) {
        worker.terminate();
        onProgress(1);
        resolve(data.nonce);
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || "proof of work failed"));
    };
    worker.postMessage({ challenge, difficulty });
  });
}
