/**
 * Search quality of a dynamic-mode catalog, measured on Twilio (197 operations): natural-language requests →
 * the operation that answers them, ranked exactly as a generated server ranks them (the catalog data the
 * generator writes, searched with src/core/search/operations.ts). Reports hit@1 and hit@5 against the plain
 * ranking catalogs used before (name, title, description; no English analysis) and holds the measured floors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogsOf } from '../../src/build/generator/server-code.js';
import {
  catalogOperationText,
  createOperationIndex,
  createSearchIndex,
  englishQuery,
  englishTerms,
  stem,
} from '../../src/core/search/index.js';
import { validateSpec } from '../../src/core/spec/load.js';
import { importOpenApi } from '../../src/sources/openapi/index.js';
import { corpusFile } from '../helpers/corpus.js';

/** Requests a user or a model makes of the Twilio API → the operation(s) that answer them. */
const QUERIES: ReadonlyArray<readonly [string, string | readonly string[]]> = [
  ['send an SMS', 'CreateMessage'],
  ['send a text message to a phone number', 'CreateMessage'],
  ['list all messages', 'ListMessage'],
  ['delete a message', 'DeleteMessage'],
  ['get the details of a message', 'FetchMessage'],
  ['redact the body of a sent message', 'UpdateMessage'],
  ['list media attached to a message', 'ListMedia'],
  ['make an outbound phone call', 'CreateCall'],
  ['hang up a call in progress', 'UpdateCall'],
  ['list recent calls', 'ListCall'],
  ['get call details', 'FetchCall'],
  ['delete a call record', 'DeleteCall'],
  ['start recording a call', 'CreateCallRecording'],
  ['pause a call recording', 'UpdateCallRecording'],
  ['get a recording', ['FetchRecording', 'FetchCallRecording', 'FetchConferenceRecording']],
  ['delete a recording', ['DeleteRecording', 'DeleteCallRecording', 'DeleteConferenceRecording']],
  ['buy a phone number', 'CreateIncomingPhoneNumber'],
  ['search for available local phone numbers', 'ListAvailablePhoneNumberLocal'],
  ['find toll free numbers to buy', 'ListAvailablePhoneNumberTollFree'],
  ['release a phone number', 'DeleteIncomingPhoneNumber'],
  ['change the SMS webhook URL of my phone number', 'UpdateIncomingPhoneNumber'],
  ['check my account balance', 'FetchBalance'],
  ['create a subaccount', 'CreateAccount'],
  ['list conferences', 'ListConference'],
  ['remove a participant from a conference', 'DeleteParticipant'],
  ['mute a conference participant', 'UpdateParticipant'],
  ['add a participant to a conference call', 'CreateParticipant'],
  ['create a call queue', 'CreateQueue'],
  ['dequeue a caller from a queue', 'UpdateMember'],
  ['list members waiting in a queue', 'ListMember'],
  ['get usage records for this month', 'ListUsageRecordThisMonth'],
  ['daily usage records', 'ListUsageRecordDaily'],
  ['create a usage trigger alert', 'CreateUsageTrigger'],
  ['create an API key', 'CreateNewKey'],
  ['delete an API key', 'DeleteKey'],
  ['verify a new caller ID', 'CreateValidationRequest'],
  ['list verified caller IDs', 'ListOutgoingCallerId'],
  ['transcriptions of a recording', ['ListRecordingTranscription', 'FetchRecordingTranscription']],
  ['start real-time transcription of a call', 'CreateRealtimeTranscription'],
  ['create a SIP domain', 'CreateSipDomain'],
  ['add an IP address to an access control list', 'CreateSipIpAddress'],
  ['take a payment during a call', 'CreatePayments'],
  ['stream call audio to a websocket', 'CreateStream'],
  ['create a TwiML application', 'CreateApplication'],
  ['get ICE server credentials', 'CreateToken'],
  ['list short codes', 'ListShortCode'],
  ['create a signing key', 'CreateNewSigningKey'],
  ['list addresses', 'ListAddress'],
  ['fetch an account', 'FetchAccount'],
  ['remove an empty queue', 'DeleteQueue'],
];

interface Operation {
  name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  http: { path: string };
}

/** hit@1 and hit@5 of a ranking over the query set, with the queries it misses in its top five. */
function measure(rank: (query: string) => string[]) {
  let top1 = 0;
  let top5 = 0;
  const missed: string[] = [];
  for (const [query, expected] of QUERIES) {
    const wanted = typeof expected === 'string' ? [expected] : expected;
    const found = rank(query).slice(0, 5);
    if (wanted.includes(found[0] as string)) top1++;
    if (found.some((name) => wanted.includes(name))) top5++;
    else missed.push(`${query} → ${found.join(', ')}`);
  }
  return { hit1: top1 / QUERIES.length, hit5: top5 / QUERIES.length, missed };
}

let operations: Operation[];

beforeAll(async () => {
  const { spec } = await importOpenApi(corpusFile('twilio_api_v2010.json'));
  const valid = validateSpec(JSON.parse(JSON.stringify(spec))).spec!;
  operations = (Object.values(catalogsOf(valid))[0] as { operations: Operation[] }).operations;
});

describe('catalog search on Twilio', () => {
  it(`finds the operation for ${QUERIES.length} natural-language requests (hit@1, hit@5 floors)`, () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(30);
    expect(operations).toHaveLength(197);
    for (const [, expected] of QUERIES) {
      for (const name of [expected].flat())
        expect(
          operations.some((o) => o.name === name),
          name,
        ).toBe(true);
    }
    const index = createOperationIndex(operations, catalogOperationText);
    const shipped = measure((q) => index.search(q, { limit: 5 }).map((h) => h.document.key));
    // The ranking catalogs had before: name, title and description, no stop words, stemming or synonyms.
    const plainIndex = createSearchIndex(
      operations.map((o) => ({
        key: o.name,
        fields: { name: o.name, title: o.title, description: o.description },
      })),
      { name: 3, title: 2, description: 1 },
    );
    const plain = measure((q) => plainIndex.search(q, { limit: 5 }).map((h) => h.document.key));
    console.info(
      `search quality (${QUERIES.length} queries): plain hit@1 ${plain.hit1.toFixed(2)} hit@5 ${plain.hit5.toFixed(2)}; ` +
        `shipped hit@1 ${shipped.hit1.toFixed(2)} hit@5 ${shipped.hit5.toFixed(2)}` +
        (shipped.missed.length ? `; missed: ${shipped.missed.join(' | ')}` : ''),
    );
    // Measured: plain 0.54 / 0.92, shipped 0.70 / 1.00.
    expect(shipped.hit1).toBeGreaterThanOrEqual(0.68);
    expect(shipped.hit5).toBeGreaterThanOrEqual(0.96);
    expect(shipped.hit1).toBeGreaterThan(plain.hit1);
    expect(shipped.hit5).toBeGreaterThanOrEqual(plain.hit5);
  });

  it('ranks CreateMessage first for "send an SMS" and for "send a text message"', () => {
    const index = createOperationIndex(operations, catalogOperationText);
    expect(index.search('send an SMS', { limit: 1 })[0]?.document.key).toBe('CreateMessage');
    expect(index.search('send a text message', { limit: 1 })[0]?.document.key).toBe('CreateMessage');
  });
});

describe('English analysis', () => {
  it('stems plurals and -ed/-ing forms to one term, leaving short words, numbers and other scripts', () => {
    expect(['messages', 'message'].map(stem)).toEqual(['message', 'message']);
    expect(['recording', 'recorded', 'recordings', 'record'].map(stem)).toEqual(Array(4).fill('record'));
    expect(['created', 'creating', 'create'].map(stem)).toEqual(['create', 'create', 'create']);
    expect(['queries', 'query', 'addresses', 'address'].map(stem)).toEqual([
      'query',
      'query',
      'address',
      'address',
    ]);
    expect(['sms', 'status', 'stopped', 'agreed', 'string'].map(stem)).toEqual([
      'sms',
      'status',
      'stop',
      'agree',
      'string',
    ]);
    expect(['v2010', 'привет', 'ids'].map(stem)).toEqual(['v2010', 'привет', 'ids']);
  });

  it('drops stop words from documents and queries, unless a query has nothing else', () => {
    expect(englishTerms(['send', 'an', 'sms', 'to', 'the', 'number'])).toEqual(['send', 'sms', 'number']);
    expect(englishQuery(['send', 'an', 'sms']).map((a) => a[0]?.term)).toEqual(['send', 'sms']);
    expect(englishQuery(['the', 'it']).map((a) => a[0]?.term)).toEqual(['the', 'it']);
  });

  it('adds verb synonyms at half credit, and counts a repeated word once', () => {
    const [send] = englishQuery(['send']);
    expect(send?.[0]).toEqual({ term: 'send', credit: 1 });
    expect(send).toContainEqual({ term: 'create', credit: 0.5 });
    expect(send).toContainEqual({ term: 'post', credit: 0.5 });
    expect(englishQuery(['remove'])[0]).toContainEqual({ term: 'delete', credit: 0.5 });
    expect(englishQuery(['sms'])).toEqual([[{ term: 'sms', credit: 1 }]]);
    expect(englishQuery(['record', 'recordings'])).toHaveLength(1);
  });

  it('a synonym never outranks the word itself, and never adds to it', () => {
    const docs = [
      { key: 'a', fields: { name: 'CreateWidget' } },
      { key: 'b', fields: { name: 'SendWidget' } },
      { key: 'c', fields: { name: 'SendCreateWidget' } },
    ];
    const index = createSearchIndex(docs, { name: 1 }, { english: true });
    const hits = index.search('send widget');
    expect(
      hits
        .map((h) => h.document.key)
        .slice(0, 2)
        .sort(),
    ).toEqual(['b', 'c']);
    expect(hits.at(-1)?.document.key).toBe('a');
  });
});
