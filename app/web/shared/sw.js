// Service worker of the fan app (served as /sw.js, scope /) and the scanner (/scan/sw.js, scope
// /scan/): after one online visit the app's shell and every file its import map names are
// cached, so the app opens without a network. The API is never cached here: each app keeps
// what it needs offline (tickets, check-in data) in IndexedDB itself.
//
// Pages: network first (a new release reaches the phone at once), the cached shell when the
// network fails. /assets/: fingerprinted URLs never change, so cache first.

const SCOPE = new URL(self.registration.scope).pathname; // "/" or "/scan/"
const CACHE = `onsale-shell:${SCOPE}`;
// Paths under the fan app's scope that belong to another app or to the API: left alone.
const NOT_OURS = ["/api/", "/console", "/scan", "/schema", "/health", "/metrics", "/assets/"];

function ours(path) {
  if (!path.startsWith(SCOPE) && `${path}/` !== SCOPE) return false;
  if (SCOPE !== "/") return true;
  return !NOT_OURS.some((p) => path.startsWith(p)) && path !== "/sw.js";
}

/** Every /assets/ URL the shell loads: its import map's targets, its stylesheets and scripts. */
function assetsOf(html) {
  const urls = new Set();
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (map) {
    try {
      for (const url of Object.values(JSON.parse(map[1]).imports || {})) urls.add(url);
    } catch {
      // A shell without a readable map still gets its links below.
    }
  }
  for (const m of html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)) urls.add(m[1]);
  return [...urls];
}

/** Cache this shell and everything it names; drop assets an older shell named. */
async function keep(shell) {
  const cache = await caches.open(CACHE);
  const html = await shell.clone().text();
  await cache.put(SCOPE, shell);
  const wanted = assetsOf(html);
  const have = new Set((await cache.keys()).map((r) => new URL(r.url).pathname));
  await Promise.all(
    wanted.filter((u) => !have.has(u)).map(async (u) => {
      const res = await fetch(u);
      if (res.ok) await cache.put(u, res);
    }),
  );
  const keepSet = new Set(wanted);
  for (const path of have) {
    if (path.startsWith("/assets/") && !keepSet.has(path)) await cache.delete(path);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    fetch(SCOPE, { cache: "no-cache" })
      .then((res) => (res.ok ? keep(res) : null))
      .catch(() => null)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && ours(url.pathname)) {
    event.respondWith(
      (async () => {
        try {
          const res = await fetch(req);
          // Every page of an app is its one shell: keep the newest for offline starts.
          if (res.ok && (res.headers.get("Content-Type") || "").includes("text/html")) {
            event.waitUntil(keep(res.clone()).catch(() => null));
          }
          return res;
        } catch (err) {
          const cached = await (await caches.open(CACHE)).match(SCOPE);
          if (cached) return cached;
          throw err;
        }
      })(),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Only what the shell named is cached (at install and on each online visit); anything
    // else goes to the network as if there were no worker.
    event.respondWith(
      caches.open(CACHE).then(async (cache) => (await cache.match(url.pathname)) || fetch(req)),
    );
  }
});
