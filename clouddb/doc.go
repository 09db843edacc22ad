// Package clouddb holds WeChat CloudBase's database semantics, which are
// MongoDB's, over decoded JSON values: matching, comparison and sort order,
// regular expressions, geo distance, update operators, projections, and the
// in-memory part of the aggregation pipeline (CompilePipeline, CompileExpr).
// It knows nothing of PocketBase.
//
// Values are what encoding/json decodes into an interface{}: nil, bool,
// float64, string, []any and map[string]any, plus time.Time for dates (see
// DecodeValue). Where MongoDB's answer cannot be reproduced exactly over
// these values, the functions here return an error that names the construct
// and says what to use instead, rather than approximate.
package clouddb
