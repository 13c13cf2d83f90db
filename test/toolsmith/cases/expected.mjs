/**
 * Expected answers of the toolsmith question set (cases.json), computed in plain JavaScript from the raw
 * vega-datasets files — never through DuckDB — so the SQL of each case is checked against an independent route.
 * CSV/TSV are read with the small RFC 4180 parser below, JSON with JSON.parse, and flights-3m.parquet (which
 * has no CSV/JSON twin) with parquet-lite.mjs, a minimal Parquet reader of our own.
 *
 *   node test/toolsmith/cases/expected.mjs           print every case's computed answer
 *   node test/toolsmith/cases/expected.mjs --write   write them into cases.json as `expected`
 *
 * Conventions shared with the SQL: round(x, d) rounds half away from zero; text sorts by code unit (DuckDB's
 * default binary collation); averages skip nulls (SQL avg); every tie in an ORDER BY … LIMIT is broken by a
 * second key so the answer is unique.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readParquetColumns } from './parquet-lite.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CASES_FILE = join(HERE, 'cases.json');
export const DATA_DIR = join(HERE, '..', '..', '..', 'node_modules', 'vega-datasets', 'data');

/** RFC 4180: comma or tab separated, double-quoted fields with "" escapes, CRLF or LF. All values are text. */
export function parseDelimited(text, sep) {
  const records = [];
  let field = '';
  let record = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...body] = records;
  return body
    .filter((r) => r.length > 1 || r[0] !== '')
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const cache = new Map();
/** Rows of a dataset file (text values for CSV/TSV; typed for JSON; flights-3m.parquet: see parquet-lite.mjs). */
export function loadDataset(file) {
  if (cache.has(file)) return cache.get(file);
  const path = join(DATA_DIR, file);
  let rows;
  if (file.endsWith('.csv')) rows = parseDelimited(readFileSync(path, 'utf8'), ',');
  else if (file.endsWith('.tsv')) rows = parseDelimited(readFileSync(path, 'utf8'), '\t');
  else if (file.endsWith('.json')) rows = JSON.parse(readFileSync(path, 'utf8'));
  // Only the columns the Parquet cases use (decoding all five of flights-3m takes twice as long).
  else if (file.endsWith('.parquet')) rows = readParquetColumns(path, ['date', 'delay', 'origin']);
  else throw new Error(`no reader for ${file}`);
  cache.set(file, rows);
  return rows;
}

// ---- helpers -------------------------------------------------------------------------------------------------

/** Half away from zero, like DuckDB's round(double, d). */
export const round = (x, d = 0) => {
  const f = 10 ** d;
  return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
};
const num = (s) => (s === '' || s === null || s === undefined ? null : Number(s));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const present = (xs) => xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x));
const mean = (xs) => {
  const p = present(xs);
  return p.length === 0 ? null : sum(p) / p.length;
};
function groupBy(rows, key) {
  const m = new Map();
  for (const r of rows) {
    const k = key(r);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(r);
  }
  return m;
}
/** Sort by keys: [value of a, value of b, 'asc'|'desc'] triples via a key function returning an array. */
function sortBy(rows, keys) {
  return [...rows].sort((a, b) => {
    for (const [f, dir] of keys) {
      const x = f(a);
      const y = f(b);
      if (x === y) continue;
      const c = x < y ? -1 : 1;
      return dir === 'desc' ? -c : c;
    }
    return 0;
  });
}
const MONTHS = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};
/** "Jan 1 2000" / "Jun 12 1998" → { y, m, d } (the '%b %d %Y' of the SQL). */
function parseMonDY(s) {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(s ?? '');
  if (!m || !MONTHS[m[1]]) return null;
  return { y: Number(m[3]), m: MONTHS[m[1]], d: Number(m[2]) };
}
const ymd = (s) => ({ y: Number(s.slice(0, 4)), m: Number(s.slice(5, 7)), d: Number(s.slice(8, 10)) });
const pad = (n) => String(n).padStart(2, '0');
/** Day number of an ISO date (UTC), for "the previous day". */
const dayNumber = (s) =>
  Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10))) / 86_400_000;

// ---- one function per case: (rows of the dataset, arguments) → expected rows ----------------------------------

export const COMPUTE = {
  // seattle-weather.csv
  'weather-days-per-year': (rows, { weather }) =>
    [
      ...groupBy(
        rows.filter((r) => r.weather === weather),
        (r) => ymd(r.date).y,
      ),
    ]
      .map(([year, g]) => ({ year, days: g.length }))
      .sort((a, b) => a.year - b.year),
  'weather-precipitation-per-year': (rows) =>
    [...groupBy(rows, (r) => ymd(r.date).y)]
      .map(([year, g]) => ({ year, precipitation: round(sum(g.map((r) => num(r.precipitation))), 1) }))
      .sort((a, b) => a.year - b.year),
  'weather-monthly-avg-high': (rows, { year }) =>
    [
      ...groupBy(
        rows.filter((r) => ymd(r.date).y === year),
        (r) => ymd(r.date).m,
      ),
    ]
      .map(([month, g]) => ({ month, avg_temp_max: round(mean(g.map((r) => num(r.temp_max))), 2) }))
      .sort((a, b) => a.month - b.month),
  'weather-hottest-day': (rows) => {
    const top = sortBy(rows, [
      [(r) => num(r.temp_max), 'desc'],
      [(r) => r.date, 'asc'],
    ])[0];
    return [{ date: top.date, temp_max: num(top.temp_max), weather: top.weather }];
  },
  'weather-share-by-type': (rows) => {
    const total = rows.length;
    return sortBy(
      [...groupBy(rows, (r) => r.weather)].map(([weather, g]) => ({
        weather,
        days: g.length,
        pct: round((100 * g.length) / total, 2),
      })),
      [
        [(r) => r.days, 'desc'],
        [(r) => r.weather, 'asc'],
      ],
    );
  },
  'weather-wettest-months': (rows, { limit }) =>
    sortBy(
      [...groupBy(rows, (r) => r.date.slice(0, 7))].map(([month, g]) => ({
        month,
        precipitation: round(sum(g.map((r) => num(r.precipitation))), 1),
      })),
      [
        [(r) => r.precipitation, 'desc'],
        [(r) => r.month, 'asc'],
      ],
    ).slice(0, limit),
  'weather-hot-days-count': (rows, { threshold }) => [
    { days: rows.filter((r) => num(r.temp_max) > threshold).length },
  ],
  'weather-warming-jumps': (rows, { jump }) => {
    const byDay = new Map(rows.map((r) => [dayNumber(r.date), r]));
    let days = 0;
    for (const r of rows) {
      const prev = byDay.get(dayNumber(r.date) - 1);
      if (prev && num(r.temp_max) - num(prev.temp_max) >= jump) days++;
    }
    return [{ days }];
  },

  // cars.json
  'cars-count-by-origin': (rows) =>
    sortBy(
      [...groupBy(rows, (r) => r.Origin)].map(([Origin, g]) => ({ Origin, cars: g.length })),
      [
        [(r) => r.cars, 'desc'],
        [(r) => r.Origin, 'asc'],
      ],
    ),
  'cars-mpg-by-cylinders': (rows) =>
    [...groupBy(rows, (r) => r.Cylinders)]
      .map(([Cylinders, g]) => ({
        Cylinders,
        cars: g.length,
        with_mpg: present(g.map((r) => r.Miles_per_Gallon)).length,
        avg_mpg: round(mean(g.map((r) => r.Miles_per_Gallon)), 2),
      }))
      .sort((a, b) => a.Cylinders - b.Cylinders),
  'cars-most-powerful': (rows, { origin, limit }) =>
    sortBy(
      rows.filter((r) => r.Origin === origin && r.Horsepower !== null),
      [
        [(r) => r.Horsepower, 'desc'],
        [(r) => r.Name, 'asc'],
      ],
    )
      .slice(0, limit)
      .map((r) => ({ Name: r.Name, Horsepower: r.Horsepower })),
  'cars-per-model-year': (rows) =>
    [...groupBy(rows, (r) => ymd(r.Year).y)]
      .map(([year, g]) => ({
        year,
        cars: g.length,
        avg_mpg: round(mean(g.map((r) => r.Miles_per_Gallon)), 2),
      }))
      .sort((a, b) => a.year - b.year),
  'cars-distinct-names': (rows) => [{ names: new Set(rows.map((r) => r.Name)).size }],

  // penguins.json
  'penguins-by-species-island': (rows) =>
    sortBy(
      [...groupBy(rows, (r) => `${r.Species}\u0000${r.Island}`)].map(([, g]) => ({
        Species: g[0].Species,
        Island: g[0].Island,
        penguins: g.length,
      })),
      [
        [(r) => r.Species, 'asc'],
        [(r) => r.Island, 'asc'],
      ],
    ),
  'penguins-mass-by-species-sex': (rows) =>
    sortBy(
      [
        ...groupBy(
          rows.filter((r) => r.Sex === 'MALE' || r.Sex === 'FEMALE'),
          (r) => `${r.Species}\u0000${r.Sex}`,
        ),
      ].map(([, g]) => ({
        Species: g[0].Species,
        Sex: g[0].Sex,
        penguins: g.length,
        avg_mass_g: round(mean(g.map((r) => r['Body Mass (g)'])), 1),
      })),
      [
        [(r) => r.Species, 'asc'],
        [(r) => r.Sex, 'asc'],
      ],
    ),
  'penguins-missing-values': (rows) => [
    {
      penguins: rows.length,
      missing_sex: rows.filter((r) => r.Sex === null || r.Sex === '.').length,
      missing_mass: rows.filter((r) => r['Body Mass (g)'] === null).length,
      complete: rows.filter((r) => Object.values(r).every((v) => v !== null) && r.Sex !== '.').length,
    },
  ],
  'penguins-heaviest-per-species': (rows) =>
    [
      ...groupBy(
        rows.filter((r) => r['Body Mass (g)'] !== null),
        (r) => r.Species,
      ),
    ]
      .map(([Species, g]) => {
        const top = sortBy(g, [[(r) => r['Body Mass (g)'], 'desc']])[0];
        return { Species, Island: top.Island, Sex: top.Sex, body_mass_g: top['Body Mass (g)'] };
      })
      .sort((a, b) => (a.Species < b.Species ? -1 : 1)),
  'penguins-long-flippers-pct': (rows, { min_flipper_mm }) =>
    [
      ...groupBy(
        rows.filter((r) => r['Flipper Length (mm)'] !== null),
        (r) => r.Species,
      ),
    ]
      .map(([Species, g]) => ({
        Species,
        measured: g.length,
        pct: round((100 * g.filter((r) => r['Flipper Length (mm)'] >= min_flipper_mm).length) / g.length, 2),
      }))
      .sort((a, b) => (a.Species < b.Species ? -1 : 1)),

  // stocks.csv
  'stocks-yearly-avg-price': (rows, { symbol }) =>
    [
      ...groupBy(
        rows.filter((r) => r.symbol === symbol),
        (r) => parseMonDY(r.date).y,
      ),
    ]
      .map(([year, g]) => ({ year, avg_price: round(mean(g.map((r) => num(r.price))), 2) }))
      .sort((a, b) => a.year - b.year),
  'stocks-peak-price': (rows) =>
    [...groupBy(rows, (r) => r.symbol)]
      .map(([symbol, g]) => {
        const top = sortBy(g, [[(r) => num(r.price), 'desc']])[0];
        const d = parseMonDY(top.date);
        return { symbol, max_price: num(top.price), date: `${d.y}-${pad(d.m)}-${pad(d.d)}` };
      })
      .sort((a, b) => (a.symbol < b.symbol ? -1 : 1)),
  'stocks-months-ahead': (rows, { symbol, other }) => {
    const otherPrice = new Map(rows.filter((r) => r.symbol === other).map((r) => [r.date, num(r.price)]));
    const months = rows.filter(
      (r) => r.symbol === symbol && otherPrice.has(r.date) && num(r.price) > otherPrice.get(r.date),
    ).length;
    return [{ months }];
  },

  // airports.csv
  'airports-top-states': (rows, { limit }) =>
    sortBy(
      [
        ...groupBy(
          rows.filter((r) => r.country === 'USA'),
          (r) => r.state,
        ),
      ].map(([state, g]) => ({
        state,
        airports: g.length,
      })),
      [
        [(r) => r.airports, 'desc'],
        [(r) => r.state, 'asc'],
      ],
    ).slice(0, limit),
  'airports-distinct-cities': (rows, { state }) => [
    { cities: new Set(rows.filter((r) => r.state === state).map((r) => r.city)).size },
  ],
  'airports-northernmost': (rows) => {
    const top = sortBy(rows, [
      [(r) => num(r.latitude), 'desc'],
      [(r) => r.iata, 'asc'],
    ])[0];
    return [{ iata: top.iata, name: top.name, state: top.state, latitude: num(top.latitude) }];
  },

  // movies.json
  'movies-by-genre': (rows) =>
    sortBy(
      [...groupBy(rows, (r) => r['Major Genre'] ?? '(unknown)')].map(([genre, g]) => ({
        genre,
        movies: g.length,
      })),
      [
        [(r) => r.movies, 'desc'],
        [(r) => r.genre, 'asc'],
      ],
    ),
  'movies-imdb-by-mpaa': (rows) =>
    [
      ...groupBy(
        rows.filter((r) => r['MPAA Rating'] !== null),
        (r) => r['MPAA Rating'],
      ),
    ]
      .map(([rating, g]) => ({
        rating,
        rated_movies: present(g.map((r) => r['IMDB Rating'])).length,
        avg_imdb: round(mean(g.map((r) => r['IMDB Rating'])), 2),
      }))
      .sort((a, b) => (a.rating < b.rating ? -1 : 1)),
  'movies-top-distributors': (rows, { limit }) =>
    sortBy(
      [
        ...groupBy(
          rows.filter((r) => r.Distributor !== null),
          (r) => r.Distributor,
        ),
      ].map(([Distributor, g]) => ({
        Distributor,
        worldwide_gross: sum(present(g.map((r) => r['Worldwide Gross']))),
      })),
      [
        [(r) => r.worldwide_gross, 'desc'],
        [(r) => r.Distributor, 'asc'],
      ],
    ).slice(0, limit),
  'movies-per-release-year': (rows, { from, to }) =>
    [
      ...groupBy(
        rows.filter((r) => {
          const d = parseMonDY(r['Release Date']);
          return d !== null && d.y >= from && d.y <= to;
        }),
        (r) => parseMonDY(r['Release Date']).y,
      ),
    ]
      .map(([year, g]) => ({ year, movies: g.length }))
      .sort((a, b) => a.year - b.year),

  // gapminder.json
  'gapminder-top-life-expectancy': (rows, { year, limit }) =>
    sortBy(
      rows.filter((r) => r.year === year),
      [
        [(r) => r.life_expect, 'desc'],
        [(r) => r.country, 'asc'],
      ],
    )
      .slice(0, limit)
      .map((r) => ({ country: r.country, life_expect: r.life_expect })),
  'gapminder-population-by-year': (rows) =>
    [...groupBy(rows, (r) => r.year)]
      .map(([year, g]) => ({ year, countries: g.length, population: sum(g.map((r) => r.pop)) }))
      .sort((a, b) => a.year - b.year),
  'gapminder-life-expectancy-gain': (rows, { from, to, limit }) => {
    const start = new Map(rows.filter((r) => r.year === from).map((r) => [r.country, r.life_expect]));
    const gains = rows
      .filter((r) => r.year === to && start.has(r.country))
      .map((r) => ({ country: r.country, gain: round(r.life_expect - start.get(r.country), 2) }));
    return sortBy(gains, [
      [(r) => r.gain, 'desc'],
      [(r) => r.country, 'asc'],
    ]).slice(0, limit);
  },

  // iowa-electricity.csv
  'iowa-renewable-share': (rows) =>
    [...groupBy(rows, (r) => ymd(r.year).y)]
      .map(([year, g]) => ({
        year,
        renewables_pct: round(
          (100 * sum(g.filter((r) => r.source === 'Renewables').map((r) => num(r.net_generation)))) /
            sum(g.map((r) => num(r.net_generation))),
          2,
        ),
      }))
      .sort((a, b) => a.year - b.year),
  'iowa-total-by-source': (rows) =>
    sortBy(
      [...groupBy(rows, (r) => r.source)].map(([source, g]) => ({
        source,
        net_generation: sum(g.map((r) => num(r.net_generation))),
      })),
      [[(r) => r.net_generation, 'desc']],
    ),

  // unemployment.tsv
  'unemployment-counties-above': (rows, { rate }) => [
    { counties: rows.filter((r) => num(r.rate) > rate).length },
  ],
  'unemployment-worst-states': (rows, { limit }) =>
    sortBy(
      [...groupBy(rows, (r) => Math.floor(num(r.id) / 1000))].map(([state_fips, g]) => ({
        state_fips,
        counties: g.length,
        avg_rate_pct: round(mean(g.map((r) => num(r.rate) * 100)), 2),
      })),
      [
        [(r) => r.avg_rate_pct, 'desc'],
        [(r) => r.state_fips, 'asc'],
      ],
    ).slice(0, limit),

  // flights-3m.parquet (columns as typed arrays, see parquet-lite.mjs)
  'flights-top-delayed-origins': (cols, { min_delay, limit }) => {
    const counts = new Map();
    const { delay, origin } = cols;
    for (let i = 0; i < delay.length; i++) {
      if (delay[i] !== null && delay[i] > min_delay && origin[i] !== null) {
        counts.set(origin[i], (counts.get(origin[i]) ?? 0) + 1);
      }
    }
    return sortBy(
      [...counts].map(([origin, flights]) => ({ origin, flights })),
      [
        [(r) => r.flights, 'desc'],
        [(r) => r.origin, 'asc'],
      ],
    ).slice(0, limit);
  },
  'flights-avg-delay-by-month': (cols) => {
    const acc = new Map();
    const { date, delay } = cols;
    for (let i = 0; i < date.length; i++) {
      if (date[i] === null || delay[i] === null) continue;
      const month = new Date(date[i] / 1000).getUTCMonth() + 1;
      const a = acc.get(month) ?? { flights: 0, total: 0 };
      a.flights++;
      a.total += delay[i];
      acc.set(month, a);
    }
    return [...acc]
      .map(([month, a]) => ({ month, flights: a.flights, avg_delay: round(a.total / a.flights, 2) }))
      .sort((a, b) => a.month - b.month);
  },
};

/** The expected rows of one case, computed from its dataset and arguments. */
export function computeExpected(testCase) {
  const fn = COMPUTE[testCase.id];
  if (!fn) throw new Error(`no JavaScript computation for case ${testCase.id}`);
  return fn(loadDataset(testCase.dataset), testCase.arguments ?? {});
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cases = JSON.parse(readFileSync(CASES_FILE, 'utf8'));
  for (const c of cases) c.expected = computeExpected(c);
  if (process.argv.includes('--write')) {
    writeFileSync(CASES_FILE, `${JSON.stringify(cases, null, 2)}\n`);
    console.log(`wrote expected answers of ${cases.length} cases to ${CASES_FILE}`);
  } else {
    for (const c of cases) console.log(c.id, JSON.stringify(c.expected));
  }
}
