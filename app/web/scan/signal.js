// The answer a gate hears and feels: a short high beep for yes, two low ones for no,
// and a vibration where the phone has one.
let audio = null;

function beep(freq, startS, lengthS) {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = freq;
  osc.type = "sine";
  gain.gain.setValueAtTime(0.0001, audio.currentTime + startS);
  gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + startS + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + startS + lengthS);
  osc.connect(gain).connect(audio.destination);
  osc.start(audio.currentTime + startS);
  osc.stop(audio.currentTime + startS + lengthS + 0.02);
}

/** ok: admitted (or an exit); otherwise a refusal. Never throws (no audio is no error). */
export function signal(ok) {
  try {
    audio ||= new AudioContext();
    if (audio.state === "suspended") audio.resume();
    if (ok) beep(1320, 0, 0.12);
    else {
      beep(330, 0, 0.18);
      beep(330, 0.25, 0.18);
    }
  } catch {
    // Some browsers refuse audio before a tap; the screen still answers.
  }
  navigator.vibrate?.(ok ? 60 : [180, 80, 180]);
}
