// The phone's camera as a QR reader: BarcodeDetector where the browser has it, else the
// vendored jsQR decoding frames drawn on a canvas. Calls onCode(text) once per new code.
const FRAME_MS = 150;
const SAME_CODE_MS = 3000; // the same code held in front of the camera counts once

async function detector() {
  if ("BarcodeDetector" in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const d = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await d.detect(video))[0]?.rawValue || null;
      }
    } catch {
      // Fall through to the decoder below.
    }
  }
  // jsQR ships as a UMD bundle: loaded as a module it sets self.jsQR.
  await import("./vendor/jsqr/jsQR.js");
  const decode = globalThis.jsQR;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    if (!canvas.width || !canvas.height) return null;
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return decode(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" })?.data || null;
  };
}

/** Start reading codes into `video`; resolves to a stop() function. Rejects without a camera. */
export async function startCamera(video, onCode) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment", width: { ideal: 1280 } },
    audio: false,
  });
  video.srcObject = stream;
  video.setAttribute("playsinline", "");
  video.muted = true;
  await video.play();
  const read = await detector();
  let stopped = false;
  let last = { text: null, at: 0 };
  let busy = false;
  const timer = setInterval(async () => {
    if (stopped || busy || video.readyState < 2) return;
    busy = true;
    try {
      const text = await read(video);
      const now = Date.now();
      if (text && !(text === last.text && now - last.at < SAME_CODE_MS)) {
        last = { text, at: now };
        onCode(text);
      } else if (text) {
        last.at = now;
      }
    } catch {
      // A frame that fails to decode is just the next frame's job.
    } finally {
      busy = false;
    }
  }, FRAME_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
}
