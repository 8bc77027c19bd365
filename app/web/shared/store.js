// A small promise wrapper over IndexedDB: named object stores, get/put/delete/all/clear.
//
// What the apps keep for offline use lives here (the scanner's check-in data and scan
// queue, the fan's tickets), never in localStorage: it survives reloads and is not sent
// with any request.

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class Store {
  /** name: the database; stores: {storeName: {keyPath?, autoIncrement?}}; version bumps add stores. */
  constructor(name, stores, version = 1) {
    this.name = name;
    this.stores = stores;
    this.version = version;
    this.db = null;
  }

  open() {
    if (!this.db) {
      this.db = new Promise((resolve, reject) => {
        const req = indexedDB.open(this.name, this.version);
        req.onupgradeneeded = () => {
          for (const [store, opts] of Object.entries(this.stores)) {
            if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store, opts);
          }
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return this.db;
  }

  async #tx(store, mode, fn) {
    const db = await this.open();
    const tx = db.transaction(store, mode);
    const result = fn(tx.objectStore(store));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result instanceof IDBRequest ? result.result : result;
  }

  get(store, key) {
    return this.#tx(store, "readonly", (s) => s.get(key));
  }
  /** Put one value (key: for stores without a keyPath); resolves to its key. */
  put(store, value, key) {
    return this.#tx(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
  }
  /** Put many values in one transaction. */
  putAll(store, values) {
    return this.#tx(store, "readwrite", (s) => {
      for (const v of values) s.put(v);
    });
  }
  delete(store, key) {
    return this.#tx(store, "readwrite", (s) => s.delete(key));
  }
  /** Every value, in key order. */
  async all(store) {
    const db = await this.open();
    return done(db.transaction(store, "readonly").objectStore(store).getAll());
  }
  count(store) {
    return this.#tx(store, "readonly", (s) => s.count());
  }
  clear(store) {
    return this.#tx(store, "readwrite", (s) => s.clear());
  }
}
