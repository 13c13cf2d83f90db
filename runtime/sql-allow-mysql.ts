/**
 * Built-in MySQL/MariaDB functions a read-only query may call. An allow-list: LOAD_FILE, SLEEP, BENCHMARK,
 * GET_LOCK and the other lock functions, sequence, replication, session and user-defined (UDF/stored)
 * functions are not on it and are refused.
 */
import { nameSet } from './sql-guard.js';

export const MYSQL_FUNCTIONS = nameSet(
  // aggregates and window functions
  `count sum avg min max group_concat json_arrayagg json_objectagg bit_and bit_or bit_xor std stddev
   stddev_pop stddev_samp variance var_pop var_samp row_number rank dense_rank percent_rank cume_dist ntile
   lag lead first_value last_value nth_value median percentile_cont percentile_disc`,
  // math
  `abs acos asin atan atan2 ceil ceiling conv cos cot crc32 degrees div exp floor ln log log10 log2 mod pi pow
   power radians rand round sign sin sqrt tan truncate greatest least`,
  // strings
  `ascii bin bit_length char char_length character_length chr concat concat_ws elt export_set field
   find_in_set format from_base64 hex insert instr lcase left length lengthb locate lower lpad ltrim make_set
   mid oct octet_length ord position quote regexp_instr regexp_like regexp_replace regexp_substr repeat
   replace reverse right rpad rtrim soundex space strcmp substr substring substring_index to_base64 trim
   ucase unhex upper natural_sort_key sformat to_char bit_count inet_aton inet_ntoa inet6_aton inet6_ntoa
   md5 sha sha1 sha2`,
  // date and time
  `adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date datediff
   date_add date_format date_sub day dayname dayofmonth dayofweek dayofyear extract from_days from_unixtime
   get_format hour last_day localtime localtimestamp makedate maketime microsecond minute month monthname now
   period_add period_diff quarter second sec_to_time str_to_date subdate subtime sysdate time timediff
   timestamp timestampadd timestampdiff time_format time_to_sec to_days to_seconds unix_timestamp utc_date
   utc_time utc_timestamp week weekday weekofyear year yearweek`,
  // JSON
  `json_array json_array_append json_array_insert json_contains json_contains_path json_depth json_extract
   json_insert json_keys json_length json_merge json_merge_patch json_merge_preserve json_object json_overlaps
   json_quote json_remove json_replace json_search json_set json_type json_unquote json_valid json_value
   json_query json_exists json_compact json_detailed json_pretty json_loose json_equals json_normalize`,
  // conditional and conversion
  'if ifnull nullif coalesce isnull nvl nvl2 cast convert binary charset collation exists',
);
