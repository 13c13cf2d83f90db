/**
 * What a read-only PostgreSQL query may contain: the parse-tree node types and the pg_catalog functions.
 * Allow-lists, not deny-lists: anything missing (file, lock, admin, session, sequence, sleep, dblink,
 * large-object and user-defined functions; INTO, locking clauses, data-modifying statements) is refused.
 */
import { nameSet } from './sql-guard.js';

/** Expression and clause nodes of SELECT/VALUES/TABLE queries (libpg-query's JSON node names). */
export const PG_NODES: ReadonlySet<string> = new Set([
  'SelectStmt',
  'ResTarget',
  'ColumnRef',
  'A_Const',
  'A_Star',
  'A_Indirection',
  'A_Indices',
  'A_ArrayExpr',
  'A_Expr',
  'BoolExpr',
  'NullTest',
  'BooleanTest',
  'SubLink',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'MinMaxExpr',
  'NullIfExpr',
  'SQLValueFunction',
  'TypeCast',
  'TypeName',
  'CollateClause',
  'FuncCall',
  'WindowDef',
  'SortBy',
  'RangeVar',
  'RangeSubselect',
  'RangeFunction',
  'JoinExpr',
  'Alias',
  'WithClause',
  'CommonTableExpr',
  'CTESearchClause',
  'CTECycleClause',
  'GroupingSet',
  'GroupingFunc',
  'RowExpr',
  'ParamRef',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'List',
  'JsonObjectConstructor',
  'JsonArrayConstructor',
  'JsonArrayQueryConstructor',
  'JsonObjectAgg',
  'JsonArrayAgg',
  'JsonAggConstructor',
  'JsonKeyValue',
  'JsonValueExpr',
  'JsonOutput',
  'JsonReturning',
  'JsonFormat',
  'JsonIsPredicate',
  'JsonFuncExpr',
  'JsonBehavior',
  'JsonArgument',
  'JsonParseExpr',
  'JsonScalarExpr',
  'JsonSerializeExpr',
]);

/** Settings SHOW may read (version, locale, formatting); server paths and security settings are not here. */
export const PG_SHOW = nameSet(`server_version server_version_num server_encoding client_encoding timezone
  datestyle intervalstyle lc_collate lc_ctype lc_messages lc_monetary lc_numeric lc_time search_path
  standard_conforming_strings transaction_isolation transaction_read_only default_transaction_read_only
  extra_float_digits bytea_output max_identifier_length integer_datetimes statement_timeout`);

/** EXPLAIN options that only describe the plan (ANALYZE would run the statement). */
export const PG_EXPLAIN_OPTIONS = nameSet(
  'verbose costs settings format summary generic_plan memory serialize',
);

export const PG_FUNCTIONS = nameSet(
  // aggregates and window functions
  `count sum avg min max array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
   json_agg_strict jsonb_agg_strict json_object_agg_strict jsonb_object_agg_strict json_object_agg_unique
   jsonb_object_agg_unique bool_and bool_or every bit_and bit_or bit_xor stddev stddev_pop stddev_samp
   variance var_pop var_samp corr covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2
   regr_slope regr_sxx regr_sxy regr_syy percentile_cont percentile_disc mode any_value range_agg
   range_intersect_agg row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
   nth_value`,
  // math
  `abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi power pow
   radians round scale sign sqrt trim_scale trunc width_bucket random random_normal acos asin atan atan2 cos
   cot sin tan sinh cosh tanh asinh acosh atanh acosd asind atand atan2d cosd cotd sind tand erf erfc`,
  // strings and bytes
  `ascii bit_length btrim char_length character_length chr concat concat_ws format initcap left length lower
   lpad ltrim md5 octet_length overlay position quote_ident quote_literal quote_nullable regexp_count
   regexp_instr regexp_like regexp_match regexp_matches regexp_replace regexp_split_to_array
   regexp_split_to_table regexp_substr repeat replace reverse right rpad rtrim split_part starts_with
   string_to_array string_to_table strpos substr substring to_ascii to_hex to_bin to_oct translate upper
   unistr normalize casefold encode decode convert convert_from convert_to sha224 sha256 sha384 sha512
   get_byte get_bit bit_count trim crc32 crc32c like_escape similar_to_escape`,
  // date and time
  `age clock_timestamp date_add date_bin date_part date_subtract date_trunc extract isfinite justify_days
   justify_hours justify_interval make_date make_interval make_time make_timestamp make_timestamptz now
   statement_timestamp timeofday transaction_timestamp to_timestamp to_char to_date to_number timezone
   overlaps`,
  // JSON
  `to_json to_jsonb array_to_json row_to_json json_build_array jsonb_build_array json_build_object
   jsonb_build_object json_object jsonb_object json_array_elements jsonb_array_elements
   json_array_elements_text jsonb_array_elements_text json_array_length jsonb_array_length json_each
   jsonb_each json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text
   jsonb_extract_path_text json_object_keys jsonb_object_keys json_populate_record jsonb_populate_record
   json_populate_recordset jsonb_populate_recordset json_to_record jsonb_to_record json_to_recordset
   jsonb_to_recordset json_strip_nulls jsonb_strip_nulls jsonb_set jsonb_set_lax jsonb_insert jsonb_pretty
   json_typeof jsonb_typeof jsonb_path_exists jsonb_path_match jsonb_path_query jsonb_path_query_array
   jsonb_path_query_first jsonb_path_exists_tz jsonb_path_match_tz jsonb_path_query_tz
   jsonb_path_query_array_tz jsonb_path_query_first_tz json_scalar json_serialize`,
  // arrays, ranges, sets
  `array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position
   array_positions array_prepend array_remove array_replace array_to_string array_upper array_reverse
   array_sample array_shuffle array_sort cardinality trim_array unnest generate_series generate_subscripts
   isempty lower_inc upper_inc lower_inf upper_inf range_merge multirange int4range int8range numrange
   tsrange tstzrange daterange int4multirange int8multirange nummultirange tsmultirange tstzmultirange
   datemultirange`,
  // text search
  `to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd
   ts_headline setweight strip numnode querytree tsvector_to_array array_to_tsvector`,
  // conditional, type and identity helpers without side effects
  `num_nonnulls num_nulls pg_typeof gen_random_uuid uuidv4 uuidv7 uuid_extract_timestamp uuid_extract_version
   current_database current_schema version format_type text varchar bpchar int2 int4 int8 float4 float8
   numeric bool date time timetz timestamp timestamptz interval bytea inet cidr host masklen network
   broadcast family netmask hostmask abbrev`,
);
