/** The shared keyword search (src/core/search): tokenizing in any script, folding, and BM25F ranking. */
import { describe, expect, it } from 'vitest';
import {
  createSearchIndex,
  foldText,
  identifierParts,
  queryTokens,
  rankDocuments,
  tokenize,
} from '../../src/core/search/index.js';

describe('tokenize', () => {
  it('splits identifiers and keeps the camelCase word joined', () => {
    expect(tokenize('listProducts')).toEqual(['listproducts', 'list', 'products']);
    expect(tokenize('list_products')).toEqual(['list', 'products']);
    expect(tokenize('HTTPGet.v2')).toEqual(['httpget', 'http', 'get', 'v2']);
    expect(tokenize('oauth2-token')).toEqual(['oauth2', 'token']);
  });

  it('folds case, compatibility forms and Latin/Greek diacritics', () => {
    expect(tokenize('Wetter für KÖLN')).toEqual(['wetter', 'fur', 'koln']);
    expect(tokenize('Straße STRASSE')).toEqual(['strasse', 'strasse']);
    expect(tokenize('ＡＢＣ ﬁle café')).toEqual(['abc', 'file', 'cafe']);
    expect(tokenize('ΆΣΟΣ άσος')).toEqual(['ασοσ', 'ασοσ']);
    expect(foldText('Crème Brûlée')).toBe('creme brulee');
  });

  it('keeps marks that are part of the spelling in other scripts', () => {
    expect(tokenize('नमस्ते दुनिया')).toEqual(['नमस्ते', 'दुनिया']);
    expect(tokenize('Привет, мир')).toEqual(['привет', 'мир']);
  });

  it('turns CJK runs into overlapping bigrams', () => {
    expect(tokenize('東京都')).toEqual(['東京', '京都']);
    expect(tokenize('は')).toEqual(['は']);
    expect(tokenize('한국어 API東京')).toEqual(['한국', '국어', 'api', '東京']);
    // Half-width katakana is normalised to full width first.
    expect(tokenize('ｶﾀｶﾅ')).toEqual(tokenize('カタカナ'));
  });

  it('drops punctuation and query syntax, caps long terms and query length', () => {
    expect(tokenize('" OR ( NEAR * -- ;')).toEqual(['or', 'near']);
    expect(tokenize('!!!')).toEqual([]);
    expect(tokenize('x'.repeat(100))[0]).toHaveLength(64);
    expect(queryTokens('a b a c', 2)).toEqual(['a', 'b']);
  });

  it('gives the raw lower-cased parts of an identifier, unfolded', () => {
    expect(identifierParts('HTTPGet.v2')).toEqual(['http', 'get', 'v2']);
    expect(identifierParts('getCafé_menü')).toEqual(['get', 'café', 'menü']);
  });
});

const weights = { name: 10, title: 5, description: 2 } as const;
const tools = [
  {
    key: 'a-send_mail',
    fields: { name: 'send_mail', title: 'Send mail', description: 'Not about humidity.' },
  },
  {
    key: 'b-get_forecast',
    fields: { name: 'get_forecast', description: 'Weather forecast, with humidity.' },
  },
  { key: 'c-humidityNow', fields: { name: 'humidityNow', title: 'Humidity now', description: null } },
];

describe('rankDocuments', () => {
  it('ranks by field weight: a name match beats description matches', () => {
    const hits = rankDocuments(tools, weights, 'humidity');
    expect(hits.map((h) => h.document.key)).toEqual(['c-humidityNow', 'a-send_mail', 'b-get_forecast']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it('matches prefixes and rewards matching more of the query', () => {
    const hits = rankDocuments(tools, weights, 'weath humid');
    expect(hits.map((h) => h.document.key)[0]).toBe('b-get_forecast');
    expect(hits).toHaveLength(3);
  });

  it('ranks an exact match above a prefix match', () => {
    const docs = [
      { key: 'x', fields: { name: 'products' } },
      { key: 'y', fields: { name: 'product' } },
    ];
    expect(rankDocuments(docs, { name: 1 }, 'product').map((h) => h.document.key)).toEqual(['y', 'x']);
  });

  it('finds accented, full-width and CJK text from plain queries', () => {
    const docs = [
      { key: 'koeln', fields: { name: 'Wetter in Köln' } },
      { key: 'tokyo', fields: { name: '東京都の天気' } },
      { key: 'wide', fields: { name: 'ＡＰＩ status' } },
    ];
    const keys = (q: string) => rankDocuments(docs, { name: 1 }, q).map((h) => h.document.key);
    expect(keys('koln')).toEqual(['koeln']);
    expect(keys('KÖLN')).toEqual(['koeln']);
    expect(keys('東京')).toEqual(['tokyo']);
    expect(keys('天')).toEqual(['tokyo']);
    expect(keys('api')).toEqual(['wide']);
  });

  it('breaks ties by key in code-unit order, whatever the input order', () => {
    const docs = ['b', 'B', 'a', 'é'].map((key) => ({ key, fields: { name: 'same words' } }));
    const keys = rankDocuments(docs, { name: 1 }, 'same').map((h) => h.document.key);
    expect(keys).toEqual(['B', 'a', 'b', 'é']);
    expect(rankDocuments([...docs].reverse(), { name: 1 }, 'same').map((h) => h.document.key)).toEqual(keys);
  });

  it('returns nothing for a query without words, honours limit, and reuses an index', () => {
    const index = createSearchIndex(tools, weights);
    expect(index.size).toBe(3);
    expect(index.search('  --  ')).toEqual([]);
    expect(index.search('humidity', { limit: 1 })).toHaveLength(1);
    expect(index.search('nothing-like-it')).toEqual([]);
    expect(rankDocuments([], weights, 'x')).toEqual([]);
  });
});
