// Rebuilds examples/inventory/inventory.db, the embedded SQLite database of the inventory example.
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

const file = new URL('../examples/inventory/inventory.db', import.meta.url).pathname;
rmSync(file, { force: true });
const db = new Database(file);
db.exec(`
CREATE TABLE categories (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  category TEXT NOT NULL REFERENCES categories(id),
  price REAL NOT NULL CHECK (price >= 0),
  stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  reorder_level INTEGER NOT NULL DEFAULT 5
);
CREATE INDEX products_category ON products(category);
`);
const categories = [
  ['electronics', 'Electronics'],
  ['clothing', 'Clothing'],
  ['food', 'Food'],
];
const products = [
  ['p1', 'EL-1001', 'Laptop 14"', 'electronics', 999.0, 12, 5],
  ['p2', 'EL-1002', 'Laptop stand', 'electronics', 39.5, 3, 10],
  ['p3', 'EL-1003', 'USB-C cable', 'electronics', 9.99, 140, 50],
  ['p4', 'EL-1004', 'Wireless mouse', 'electronics', 24.0, 0, 10],
  ['p5', 'CL-2001', 'Rain jacket', 'clothing', 89.0, 25, 5],
  ['p6', 'CL-2002', 'Wool socks', 'clothing', 12.5, 4, 20],
  ['p7', 'FD-3001', 'Espresso beans 1kg', 'food', 21.0, 30, 10],
  ['p8', 'FD-3002', 'Green tea', 'food', 7.25, 8, 10],
];
const insertCategory = db.prepare('INSERT INTO categories VALUES (?, ?)');
const insertProduct = db.prepare('INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)');
db.transaction(() => {
  for (const c of categories) insertCategory.run(...c);
  for (const p of products) insertProduct.run(...p);
})();
db.pragma('journal_mode = DELETE');
db.close();
console.log(`wrote ${file}`);
