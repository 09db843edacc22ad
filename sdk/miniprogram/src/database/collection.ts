import type {
    AddResult,
    Aggregate,
    AnyObject,
    CollectionReference,
    CountResult,
    Database,
    DatabaseOptions,
    DocumentGetResult,
    DocumentReference,
    Query,
    QueryCommand,
    QueryGetResult,
    RemoveResult,
    SetResult,
    UpdateResult,
    WatchOptions,
    Watcher,
    WhereCondition,
} from "../../types/index";
import type { WxbaseClient } from "../client";
import { WxbaseError, invalidQuery, unsupported } from "../errors";
import type { Realtime } from "../realtime";
import type { Session } from "../session";
import { withCallbacks } from "./callbacks";
import { makeCommand, QueryCmd } from "./command";
import { AggregateImpl } from "./aggregate";
import { cloudbaseDatabase } from "./compat";
import { isPlainObject } from "./fields";
import { FilterCompiler } from "./filter";
import { decodeValue, encodeQuery, encodeUpdate, encodeValue } from "./serialize";
import { makeGeo, regExp, serverDate } from "./values";

/** What the facade's objects share. */
export interface DatabaseContext {
    pb: WxbaseClient;
    session: Session;
    /** The mini-program's appid: the server reads _openid in it. */
    appid: string;
    /** The app's one socket, for watch(). */
    realtime: Realtime;
}

// CloudBase's largest page (its server SDK's cap): larger limits clamp.
const maxLimit = 1000;

export function makeDatabase(ctx: DatabaseContext, options?: DatabaseOptions): Database {
    return cloudbaseDatabase(
        {
            command: makeCommand(),
            Geo: makeGeo(),
            serverDate,
            RegExp: regExp,
            collection: <T = AnyObject>(name: string) => new CollectionImpl<T>(ctx, name),
        } as any,
        options,
    );
}

interface QueryState {
    where?: WhereCondition | QueryCmd;
    order: Array<{ field: string; desc: boolean }>;
    skip?: number;
    limit?: number;
    projection?: AnyObject;
}

/** call sends one database request, signed in, and decodes the answer. */
async function call<R>(ctx: DatabaseContext, collection: string, op: string, body: AnyObject): Promise<R> {
    await ctx.session.ready();
    const payload: AnyObject = Object.assign({}, body);
    if (ctx.appid) {
        payload.appid = ctx.appid;
    }
    const res = await ctx.pb.send("/api/database/" + encodeURIComponent(collection) + "/" + op, {
        method: "POST",
        body: payload,
        // Two CloudBase-style requests on one collection at once must both answer.
        requestKey: null,
    });
    return decodeValue(res) as R;
}

class QueryImpl<T> implements Query<T> {
    constructor(
        protected readonly ctx: DatabaseContext,
        readonly collectionName: string,
        protected readonly state: QueryState = { order: [] },
    ) {
        if (typeof collectionName !== "string" || !collectionName) {
            throw unsupported("db.collection() needs a collection name.");
        }
    }

    private with(change: Partial<QueryState>): QueryImpl<T> {
        return new QueryImpl<T>(this.ctx, this.collectionName, Object.assign({}, this.state, change));
    }

    where(condition: WhereCondition | QueryCommand): Query<T> {
        // As CloudBase: where() takes an object, and one whose every value
        // is undefined is refused rather than read as "every record" (a
        // where({ _id: maybeUndefined }).remove() would empty the
        // collection). Otherwise keys whose value is undefined are dropped,
        // which optional filters rely on; where({}) is every record.
        if (!(condition instanceof QueryCmd) && !isPlainObject(condition)) {
            throw invalidQuery("查询参数必须为对象: where() takes an object of field conditions; where({}) matches every record.");
        }
        if (isPlainObject(condition)) {
            const keys = Object.keys(condition);
            if (keys.length > 0 && keys.every((key) => (condition as { [key: string]: any })[key] === undefined)) {
                throw invalidQuery(
                    "查询参数对象值不能均为undefined: every value of the where() object is undefined; " +
                        "it would match every record, so it is refused (where({}) matches every record).",
                );
            }
        }
        // Refused now what the server would refuse for its form.
        encodeQuery(condition as WhereCondition | QueryCmd);
        return this.with({ where: condition as WhereCondition | QueryCmd });
    }

    orderBy(field: string, order: "asc" | "desc" = "asc"): Query<T> {
        if (typeof field !== "string" || !field) {
            throw unsupported("orderBy() takes a field name.");
        }
        if (order !== "asc" && order !== "desc") {
            throw unsupported(`orderBy(): the order is "asc" or "desc", not "${order}".`);
        }
        return this.with({ order: this.state.order.concat({ field, desc: order === "desc" }) });
    }

    skip(n: number): Query<T> {
        if (!isCount(n, 0)) {
            throw unsupported("skip() takes a whole number >= 0.");
        }
        return this.with({ skip: n });
    }

    limit(n: number): Query<T> {
        if (!isCount(n, 1)) {
            throw unsupported("limit() takes a whole number >= 1.");
        }
        // As the server SDK caps it: more than 1000 reads 1000.
        return this.with({ limit: Math.min(n, maxLimit) });
    }

    field(projection: AnyObject): Query<T> {
        if (!isPlainObject(projection)) {
            throw unsupported("field() takes an object: { name: true } to return, { name: false } to leave out.");
        }
        const encoded: AnyObject = {};
        for (const key of Object.keys(projection)) {
            const value = projection[key];
            if (value === undefined) {
                continue;
            }
            encoded[key] = isPlainObject(value) ? value : value ? 1 : 0;
        }
        return this.with({ projection: encoded });
    }

    async get(): Promise<QueryGetResult<T>> {
        const res = await call<{ data: any[] }>(this.ctx, this.collectionName, "get", this.readBody());
        return { data: res.data as QueryGetResult<T>["data"], errMsg: "collection.get:ok" };
    }

    async count(): Promise<CountResult> {
        const res = await call<{ total: number }>(this.ctx, this.collectionName, "count", { query: this.query() });
        return { total: res.total, errMsg: "collection.count:ok" };
    }

    async update(options: { data: WhereCondition }): Promise<UpdateResult> {
        this.needsWhere("update()");
        const data = encodeUpdate(options && options.data, "where().update()");
        const res = await call<{ updated: number }>(this.ctx, this.collectionName, "update", { query: this.query(), data });
        return { stats: { updated: res.updated }, errMsg: "collection.update:ok" };
    }

    async remove(): Promise<RemoveResult> {
        this.needsWhere("remove()");
        const res = await call<{ removed: number }>(this.ctx, this.collectionName, "remove", { query: this.query() });
        return { stats: { removed: res.removed }, errMsg: "collection.remove:ok" };
    }

    watch(options: WatchOptions<T>): Watcher {
        if (!options || typeof options.onChange !== "function" || typeof options.onError !== "function") {
            throw unsupported("watch() needs { onChange(snapshot), onError(error) }.");
        }
        const where = this.state.where;
        if (where !== undefined) {
            // Refuse now what the filter compiler refuses, as get() would.
            new FilterCompiler("").compile(where);
        }
        const pb = this.ctx.pb;
        const filter = (userId: string): string => {
            if (where === undefined) {
                return "";
            }
            const compiled = new FilterCompiler(userId).compile(where);
            return compiled.expr ? pb.filter(compiled.expr, compiled.params) : "";
        };
        const order = this.state.order.map((o) => {
            const name = o.field === "_id" ? "id" : o.field === "_openid" ? "owner" : o.field;
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
                throw unsupported(`watch(): orderBy("${o.field}") takes a top-level field.`);
            }
            return (o.desc ? "-" : "") + name;
        });
        let fields: string | undefined;
        const projection = this.state.projection;
        if (projection && Object.keys(projection).length) {
            const names = ["id"];
            for (const key of Object.keys(projection)) {
                const name = key === "_id" ? "id" : key === "_openid" ? "owner" : key;
                if (projection[key] !== 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
                    if (name === "id" && projection[key] === 0) {
                        continue;
                    }
                    throw unsupported("watch(): field() lists top-level fields to return.");
                }
                if (names.indexOf(name) < 0) {
                    names.push(name);
                }
            }
            // The SDK orders later changes itself: it needs the sort fields.
            for (const term of order) {
                const top = term.replace(/^-/, "");
                if (names.indexOf(top) < 0) {
                    names.push(top);
                }
            }
            fields = names.join(",");
        }
        return this.ctx.realtime.watch<T>(
            { collection: this.collectionName, filter, order, fields, skip: this.state.skip || 0, limit: this.state.limit, appid: this.ctx.appid },
            options,
        );
    }

    protected query(): AnyObject {
        return this.state.where === undefined ? {} : encodeQuery(this.state.where);
    }

    private readBody(): AnyObject {
        const body: AnyObject = { query: this.query() };
        if (this.state.order.length) {
            body.order = this.state.order;
        }
        if (this.state.skip) {
            body.skip = this.state.skip;
        }
        if (this.state.limit !== undefined) {
            body.limit = this.state.limit;
        }
        if (this.state.projection) {
            body.projection = this.state.projection;
        }
        return body;
    }

    /**
     * needsWhere: update() and remove() change every match. As CloudBase,
     * orderBy(), skip(), limit() and field() in the chain do not apply to
     * them (its own tests remove every match of where().skip(n).remove()).
     */
    private needsWhere(op: string): void {
        if (this.state.where === undefined) {
            throw unsupported(`${op} needs where(): collection.where({...}).${op}`);
        }
    }
}

function isCount(n: number, min: number): boolean {
    return typeof n === "number" && Math.floor(n) === n && n >= min;
}

class CollectionImpl<T> extends QueryImpl<T> implements CollectionReference<T> {
    constructor(ctx: DatabaseContext, name: string) {
        super(ctx, name);
    }

    doc(id: string): DocumentReference<T> {
        return new DocumentImpl<T>(this.ctx, this.collectionName, id);
    }

    add(options: { data: Partial<T> & AnyObject }): Promise<AddResult>;
    add(options: { data: Array<Partial<T> & AnyObject> }): Promise<{ _ids: string[]; errMsg: string }>;
    async add(options: { data: any }): Promise<any> {
        const data = options && options.data;
        if (!isPlainObject(data) && !(Array.isArray(data) && data.length > 0)) {
            throw unsupported("add() takes { data: { ... } } or { data: [{ ... }, ...] }.");
        }
        const res = await call<{ ids: string[] }>(this.ctx, this.collectionName, "add", { data: encodeValue(data, "add()") });
        if (Array.isArray(data)) {
            return { _ids: res.ids, errMsg: "collection.add:ok" };
        }
        return { _id: res.ids[0], errMsg: "collection.add:ok" };
    }

    /** The aggregation pipeline: aggregate().match(...).group(...).end(). */
    aggregate(): Aggregate {
        return new AggregateImpl({
            collection: this.collectionName,
            send: (pipeline) => call<{ list: any[] }>(this.ctx, this.collectionName, "aggregate", { pipeline }),
        });
    }
}

class DocumentImpl<T> implements DocumentReference<T> {
    constructor(
        private readonly ctx: DatabaseContext,
        private readonly collectionName: string,
        readonly _id: string,
        private readonly projection?: AnyObject,
    ) {
        if (typeof _id === "number") {
            // CloudBase allows numeric ids; PocketBase's are text.
            throw unsupported(`doc(${_id}): ids are strings here (PocketBase stores ids as text): write doc(String(${_id})), that is doc("${_id}").`);
        }
        if (typeof _id !== "string" || !_id) {
            throw unsupported("doc() needs a record id.");
        }
    }

    field(projection: AnyObject): DocumentReference<T> {
        const query = new QueryImpl<T>(this.ctx, this.collectionName).field(projection) as QueryImpl<T>;
        return new DocumentImpl<T>(this.ctx, this.collectionName, this._id, (query as any).state.projection);
    }

    async get(): Promise<DocumentGetResult<T>> {
        const body: AnyObject = { query: { _id: this._id }, limit: 1 };
        if (this.projection) {
            body.projection = this.projection;
        }
        const res = await call<{ data: any[] }>(this.ctx, this.collectionName, "get", body);
        if (!res.data.length) {
            // PocketBase's own answer for a record that is missing or not the caller's.
            throw new WxbaseError("The requested resource wasn't found.", { status: 404 });
        }
        return { data: res.data[0] as DocumentGetResult<T>["data"], errMsg: "document.get:ok" };
    }

    /** A record that is missing or not the user's updates 0, as in CloudBase. */
    async update(options: { data: AnyObject }): Promise<UpdateResult> {
        const data = encodeUpdate(options && options.data, "doc().update()");
        const res = await call<{ updated: number }>(this.ctx, this.collectionName, "update", { query: { _id: this._id }, data });
        return { stats: { updated: res.updated }, errMsg: "document.update:ok" };
    }

    /** set replaces the document (fields left out go back to empty), or creates it with this id. */
    async set(options: { data: Partial<T> & AnyObject }): Promise<SetResult> {
        const data = options && options.data;
        if (!isPlainObject(data)) {
            throw unsupported("set() takes { data: { ... } }.");
        }
        const res = await call<{ created: number; updated: number }>(this.ctx, this.collectionName, "set", {
            id: this._id,
            data: encodeValue(data, "set()"),
        });
        return { _id: this._id, stats: { updated: res.updated, created: res.created }, errMsg: "document.set:ok" };
    }

    /** A record that is missing or not the user's removes 0, as in CloudBase. */
    async remove(): Promise<RemoveResult> {
        const res = await call<{ removed: number }>(this.ctx, this.collectionName, "remove", { query: { _id: this._id } });
        return { stats: { removed: res.removed }, errMsg: "document.remove:ok" };
    }

    watch(options: WatchOptions<T>): Watcher {
        return new QueryImpl<T>(this.ctx, this.collectionName).where({ _id: this._id }).watch(options);
    }
}

// CloudBase's success/fail/complete callbacks and errMsg/errCode, on every
// method that answers once (callbacks.ts).
withCallbacks(QueryImpl.prototype, "collection", ["get", "count", "update", "remove"]);
withCallbacks(CollectionImpl.prototype, "collection", ["add"]);
withCallbacks(DocumentImpl.prototype, "document", ["get", "set", "update", "remove"]);
