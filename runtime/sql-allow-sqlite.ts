/**
 * What a read-only SQLite query may compile to: the built-in functions (as the engine's EXPLAIN names them)
 * and the VDBE opcodes that only a write, schema change, transaction or pragma uses. load_extension,
 * fileio's readfile/writefile, fts3_tokenizer, randomblob/zeroblob and application-defined functions are not
 * on the function allow-list and are refused.
 */
import { nameSet } from './sql-guard.js';

export const SQLITE_FUNCTIONS = nameSet(
  // aggregates and window functions
  `avg count group_concat string_agg max min sum total median percentile percentile_cont percentile_disc
   row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value`,
  // scalar built-ins
  `abs char coalesce concat concat_ws format glob hex ifnull iif if instr length like likelihood likely lower
   ltrim nullif octet_length printf quote random replace round rtrim sign soundex substr substring trim
   typeof unhex unicode unlikely upper sqlite_version`,
  // date and time
  'date time datetime julianday unixepoch strftime timediff current_date current_time current_timestamp',
  // math
  `acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2 mod pi
   pow power radians sin sinh sqrt tan tanh trunc`,
  // JSON
  `json json_array json_array_length json_error_position json_extract json_insert json_object json_patch
   json_pretty json_quote json_remove json_replace json_set json_type json_valid json_group_array
   json_group_object jsonb jsonb_array jsonb_extract jsonb_insert jsonb_object jsonb_patch jsonb_remove
   jsonb_replace jsonb_set jsonb_group_array jsonb_group_object`,
);

/** Opcodes that call a function; P4 reads "name(argc)". */
export const SQLITE_FUNCTION_OPCODES = new Set([
  'Function',
  'PureFunc',
  'AggStep',
  'AggStep1',
  'AggFinal',
  'AggValue',
  'AggInverse',
]);

/**
 * Opcodes no read-only SELECT compiles to: writes, schema, transactions, pragmas, triggers, vacuum. (Insert and
 * Delete also fill a query's own ephemeral tables; a write to the database needs OpenWrite and a write
 * Transaction, which are refused.)
 */
export const SQLITE_WRITE_OPCODES = new Set([
  'OpenWrite',
  'VUpdate',
  'VCreate',
  'VDestroy',
  'VBegin',
  'VRename',
  'Destroy',
  'Clear',
  'CreateBtree',
  'ParseSchema',
  'DropTable',
  'DropIndex',
  'DropTrigger',
  'AutoCommit',
  'Savepoint',
  'JournalMode',
  'Vacuum',
  'IncrVacuum',
  'Checkpoint',
  'SqlExec',
  'Expire',
  'Program',
  'LoadAnalysis',
  'SetCookie',
  'MaxPgcnt',
  'FkCounter',
  'ResetCount',
]);
