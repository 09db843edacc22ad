// Package cloudquery runs CloudBase database requests on PocketBase
// collections: it turns a CloudBase (MongoDB-style) query into SQL over a
// collection's table, under the collection's own API rules as PocketBase
// resolves them, and turns records into the documents CloudBase code
// reads. The semantics themselves (matching, order, updates) are package
// clouddb's; this package decides which parts SQLite can run natively,
// with the same answer, and hands the rest to clouddb through SQL
// functions.
package cloudquery
