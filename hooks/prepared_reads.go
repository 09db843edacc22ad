package hooks

import (
	"database/sql"
	"errors"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// preparedReads runs the reads of a login, the account by (app, openid) and
// then its user by id (a returning user), or the user of the same unionid
// (a first login through an app), from statements prepared once.
// Most logins are returning users, and parsing the same SQL again was the
// largest part of each read (modernc's SQLite parser is expensive).
//
// Only the SQL is prepared: each query is built by app.RecordQuery, whose
// hooks load the record exactly as FindRecordById does, the password hash
// of an auth record included (a record loaded by hand without it would make
// PocketBase take the next save for a password change and drop the user's
// auth origins and MFA). A built query cannot be shared by two requests at
// once (its parameters are its own), so each kind is kept in a small pool.
//
// The statements belong to the database handle they were prepared on:
// PocketBase reopens its database (after a backup restore, say), and a new
// handle gets new statements. A query is built for one collection model:
// once the collection changes (a field added in the dashboard), the cached
// model is a new one, and the queries built for the old one are dropped.
// SQLite re-prepares a statement by itself when the schema changes.
type preparedReads struct {
	mu    sync.Mutex
	db    *sql.DB
	pools map[string]chan *preparedQuery
}

// preparedQuery is one built, prepared query of a pool.
type preparedQuery struct {
	query      *dbx.Query
	collection *core.Collection
}

// preparedPoolSize bounds the idle queries kept per kind; more concurrent
// reads build queries of their own and close them after use.
const preparedPoolSize = 32

// errNoPool: the app runs inside a transaction, whose one connection the
// statements were not prepared on; the caller reads the usual way.
var errNoPool = errors.New("no database pool to prepare on")

// account reads the account of openID in the app, as findAccount does.
func (p *preparedReads) account(app core.App, appRef, openID string) (*core.Record, error) {
	accounts, err := app.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, err
	}
	record, err := p.one(app, accounts, "account", func(q *dbx.SelectQuery) *dbx.SelectQuery {
		return q.AndWhere(dbx.NewExp("[[app]] = {:app} AND [[openid]] = {:openid}"))
	}, dbx.Params{"app": appRef, "openid": openID})
	if errors.Is(err, errNoPool) {
		return findAccount(app, appRef, openID)
	}
	return record, err
}

// userOfUnionID reads the user of unionID's oldest account, as
// findUserByUnionID does.
func (p *preparedReads) userOfUnionID(app core.App, users *core.Collection, unionID string) (*core.Record, error) {
	account, err := p.firstAccountOfUnionID(app, unionID)
	if err != nil {
		return nil, err
	}
	return p.user(app, users, account.GetString("user"))
}

// firstAccountOfUnionID reads unionID's oldest account.
func (p *preparedReads) firstAccountOfUnionID(app core.App, unionID string) (*core.Record, error) {
	accounts, err := app.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, err
	}
	account, err := p.one(app, accounts, "unionid", accountsOfUnionID, dbx.Params{"unionid": unionID})
	if errors.Is(err, errNoPool) {
		account = &core.Record{}
		err = firstAccountOfUnionID(app, unionID).One(account)
	}
	return account, err
}

// user reads the record of id in users, as FindRecordById does.
func (p *preparedReads) user(app core.App, users *core.Collection, id string) (*core.Record, error) {
	return p.byID(app, users, id)
}

// byID reads the record of id in collection, as FindRecordById does.
func (p *preparedReads) byID(app core.App, collection *core.Collection, id string) (*core.Record, error) {
	record, err := p.one(app, collection, "id:"+collection.Id, func(q *dbx.SelectQuery) *dbx.SelectQuery {
		return q.AndWhere(dbx.NewExp("[[id]] = {:id}"))
	}, dbx.Params{"id": id})
	if errors.Is(err, errNoPool) {
		return app.FindRecordById(collection, id)
	}
	return record, err
}

// one loads the first record of collection that where selects with params
// (sql.ErrNoRows when there is none), from a prepared query of kind.
func (p *preparedReads) one(app core.App, collection *core.Collection, kind string, where func(*dbx.SelectQuery) *dbx.SelectQuery, params dbx.Params) (*core.Record, error) {
	pool, err := p.pool(app, kind)
	if err != nil {
		return nil, err
	}
	var q *preparedQuery
	select {
	case q = <-pool:
		if q.collection != collection { // the collection changed since
			q.query.Close()
			q = nil
		}
	default:
	}
	if q == nil {
		built := where(app.RecordQuery(collection)).Limit(1).Build().Prepare()
		if built.LastError != nil {
			return nil, built.LastError
		}
		q = &preparedQuery{query: built, collection: collection}
	}
	record := &core.Record{}
	err = q.query.Bind(params).One(record)
	select {
	case pool <- q:
	default:
		q.query.Close()
	}
	if err != nil {
		return nil, err
	}
	return record, nil
}

// pool returns the idle queries of kind on the app's current database
// handle, dropping every query prepared on an earlier one.
func (p *preparedReads) pool(app core.App, kind string) (chan *preparedQuery, error) {
	builder, ok := app.ConcurrentDB().(*dbx.DB)
	if !ok {
		return nil, errNoPool
	}
	db := builder.DB()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != db {
		for _, pool := range p.pools {
			closeAll(pool)
		}
		p.db, p.pools = db, map[string]chan *preparedQuery{}
	}
	pool, ok := p.pools[kind]
	if !ok {
		pool = make(chan *preparedQuery, preparedPoolSize)
		p.pools[kind] = pool
	}
	return pool, nil
}

// closeAll closes the idle queries of pool. A query in use when its pool is
// dropped goes back to the forgotten channel: its database handle, and its
// statement with it, are closed already.
func closeAll(pool chan *preparedQuery) {
	for {
		select {
		case q := <-pool:
			q.query.Close()
		default:
			return
		}
	}
}
