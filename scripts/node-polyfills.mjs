// Preloaded into vitest's Node process (node --import). vitest 5.1 calls Map.groupBy when it prints
// failures; Node 20 lacks it (added in Node 21), so a failing run would only show a TypeError.
if (typeof Map.groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true, writable: true,
    value(items, key) {
      const m = new Map();
      let i = 0;
      for (const it of items) {
        const k = key(it, i++);
        const arr = m.get(k);
        if (arr) arr.push(it); else m.set(k, [it]);
      }
      return m;
    },
  });
}
if (typeof Object.groupBy !== 'function') {
  Object.defineProperty(Object, 'groupBy', {
    configurable: true, writable: true,
    value(items, key) {
      const o = Object.create(null);
      let i = 0;
      for (const it of items) (o[key(it, i++)] ??= []).push(it);
      return o;
    },
  });
}
