import type { RecordModel } from "pocketbase";
import type {
    AddResult,
    AnyObject,
    CollectionReference,
    CountResult,
    Database,
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
import { makeCommand, QueryCmd } from "./command";
import { checkName, isPlainObject, serverField, toCloud } from "./fields";
import { FilterCompiler } from "./filter";
import { dataBody, fieldsNeedingRecord, updateBody } from "./update";

/** What the facade's objects share. */
export interface DatabaseContext {
    pb: WxbaseClient;
    session: Session;
    maxBatch: number;
    /** Whether a collection's field is a JSON field, learned once per field. */
    jsonFields: { [collectionAndField: string]: Promise<boolean> };
    /** The app's one socket, for watch(). */
    realtime: Realtime;
}

// PocketBase's largest page.
const maxPerPage = 1000;
// CloudBase's get() returns 20 records when no limit is set.
const defaultLimit = 20;

// The facade's requests opt out of PocketBase's auto-cancellation: two
// CloudBase-style reads of one collection at once must both answer.
const noAutoCancel = { requestKey: null };

// Fields that set() keeps: PocketBase's own, and the owner the server guards.
const keptBySet = ["id", "collectionId", "collectionName", "created", "updated", "owner", "expand"];

export function makeDatabase(ctx: DatabaseContext): Database {
    return {
        command: makeCommand(),
        collection: <T = AnyObject>(name: string) => new CollectionImpl<T>(ctx, name),
    };
}

interface QueryState {
    where?: WhereCondition | QueryCmd;
    order: string[];
    skip?: number;
    limit?: number;
    fields?: string;
}

/**
 * pagePlan finds one page of PocketBase's page/perPage that holds the
 * window [skip, skip+limit), so a non-aligned skip still costs one request:
 * the smallest perPage >= limit whose page boundaries leave room for it.
 */
export function pagePlan(skip: number, limit: number): { page: number; perPage: number; offset: number } | null {
    for (let perPage = limit; perPage <= Math.min(maxPerPage, skip + limit); perPage++) {
        const offset = skip % perPage;
        if (offset + limit <= perPage) {
            return { page: Math.floor(skip / perPage) + 1, perPage, offset };
        }
    }
    return null;
}

function isNotFound(err: unknown): boolean {
    return err instanceof WxbaseError && err.status === 404;
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
        return this.with({ where: condition as WhereCondition | QueryCmd });
    }

    orderBy(field: string, order: "asc" | "desc" = "asc"): Query<T> {
        if (order !== "asc" && order !== "desc") {
            throw unsupported(`orderBy(): the order is "asc" or "desc", not "${order}".`);
        }
        const name = checkName(serverField(field), "orderBy()");
        return this.with({ order: this.state.order.concat((order === "desc" ? "-" : "") + name) });
    }

    skip(n: number): Query<T> {
        if (!isCount(n, 0)) {
            throw unsupported("skip() takes a whole number >= 0.");
        }
        return this.with({ skip: n });
    }

    limit(n: number): Query<T> {
        if (!isCount(n, 1) || n > maxPerPage) {
            throw unsupported(`limit() takes a whole number from 1 to ${maxPerPage}.`);
        }
        return this.with({ limit: n });
    }

    field(projection: { [field: string]: boolean | 1 }): Query<T> {
        // As CloudBase, a projection that lists no field (field({})) keeps
        // every field.
        const keys = Object.keys(projection || {});
        if (!keys.some((key) => projection[key])) {
            if (keys.some((key) => checkName(serverField(key), "field()") !== "id")) {
                throw unsupported("field() can only list the fields to return: PocketBase cannot leave fields out.");
            }
            return this.with({ fields: undefined });
        }
        const names = ["id"];
        for (const key of keys) {
            const name = checkName(serverField(key), "field()");
            if (!projection[key]) {
                if (name === "id") {
                    continue;
                }
                throw unsupported("field() can only list the fields to return: PocketBase cannot leave fields out.");
            }
            if (names.indexOf(name) < 0) {
                names.push(name);
            }
        }
        return this.with({ fields: names.join(",") });
    }

    async get(): Promise<QueryGetResult<T>> {
        const limit = this.state.limit === undefined ? defaultLimit : this.state.limit;
        const skip = this.state.skip || 0;
        const plan = pagePlan(skip, limit);
        let items: RecordModel[];
        if (plan) {
            const page = await this.list(plan.page, plan.perPage, true);
            items = page.items.slice(plan.offset, plan.offset + limit);
        } else {
            // No single page fits (a large limit): two pages of size limit
            // hold the window. Two reads, so a concurrent write may shift it.
            const first = Math.floor(skip / limit) + 1;
            const offset = skip % limit;
            const a = await this.list(first, limit, true);
            const b = await this.list(first + 1, limit, true);
            items = a.items.concat(b.items).slice(offset, offset + limit);
        }
        return { data: items.map(toCloud) as QueryGetResult<T>["data"], errMsg: "collection.get:ok" };
    }

    async count(): Promise<CountResult> {
        const page = await this.list(1, 1, false, "id");
        return { total: page.totalItems, errMsg: "collection.count:ok" };
    }

    async update(options: { data: WhereCondition }): Promise<UpdateResult> {
        const records = await this.matches("update()");
        const bodies: AnyObject[] = [];
        for (const record of records) {
            bodies.push(await updateBody("where().update()", options && options.data, record, this.isJSON));
        }
        if (records.length) {
            const batch = this.ctx.pb.createBatch();
            records.forEach((record, i) => batch.collection(this.collectionName).update(record.id, bodies[i]));
            await batch.send(noAutoCancel);
        }
        return { stats: { updated: records.length }, errMsg: "collection.update:ok" };
    }

    async remove(): Promise<RemoveResult> {
        const records = await this.matches("remove()");
        if (records.length) {
            const batch = this.ctx.pb.createBatch();
            records.forEach((record) => batch.collection(this.collectionName).delete(record.id));
            await batch.send(noAutoCancel);
        }
        return { stats: { removed: records.length }, errMsg: "collection.remove:ok" };
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
            // The same filter string get() sends: values quoted by pb.filter.
            const compiled = new FilterCompiler(userId).compile(where);
            return compiled.expr ? pb.filter(compiled.expr, compiled.params) : "";
        };
        let fields = this.state.fields;
        if (fields) {
            // The SDK orders later changes itself: it needs the sort fields.
            const names = fields.split(",");
            for (const term of this.state.order) {
                const top = term.replace(/^-/, "").split(".")[0];
                if (names.indexOf(top) < 0) {
                    names.push(top);
                }
            }
            fields = names.join(",");
        }
        return this.ctx.realtime.watch<T>(
            { collection: this.collectionName, filter, order: this.state.order, fields, skip: this.state.skip || 0, limit: this.state.limit },
            options,
        );
    }

    protected readonly isJSON = (field: string) => isJSONField(this.ctx, this.collectionName, field);

    /** list reads one page; the total is counted only when asked for. */
    private async list(page: number, perPage: number, skipTotal: boolean, fields?: string) {
        const options: { [key: string]: any } = { requestKey: null };
        if (skipTotal) {
            options.skipTotal = true;
        }
        const filter = await this.filter();
        if (filter) {
            options.filter = filter;
        }
        if (this.state.order.length) {
            options.sort = this.state.order.join(",");
        }
        if (fields || this.state.fields) {
            options.fields = fields || this.state.fields;
        }
        return this.ctx.pb.collection(this.collectionName).getList(page, perPage, options);
    }

    /** filter compiles where() once signed in: '{openid}' stands for the user's id. */
    private async filter(): Promise<string> {
        if (this.state.where === undefined) {
            return "";
        }
        await this.ctx.session.ready();
        const record = this.ctx.pb.authStore.record;
        const compiled = new FilterCompiler(record ? record.id : "").compile(this.state.where);
        return compiled.expr ? this.ctx.pb.filter(compiled.expr, compiled.params) : "";
    }

    /** matches lists what where().update()/remove() changes: at most one batch of records. */
    private async matches(op: string): Promise<RecordModel[]> {
        if (this.state.where === undefined) {
            throw unsupported(`${op} needs where(): collection.where({...}).${op}`);
        }
        if (this.state.order.length || this.state.skip !== undefined || this.state.limit !== undefined || this.state.fields) {
            throw unsupported(`where().${op} changes every match: orderBy(), skip(), limit() and field() do not apply.`);
        }
        const max = this.ctx.maxBatch;
        const page = await this.list(1, Math.min(max + 1, maxPerPage), true);
        if (page.items.length > max) {
            throw new WxbaseError(
                `where().${op} matches more than ${max} records, more than one all-or-nothing batch holds; narrow the condition.`,
                { code: "wxbase_batch_too_large" },
            );
        }
        return page.items;
    }
}

/** isJSONField tells whether a field is a JSON field, asking the server once per field. */
function isJSONField(ctx: DatabaseContext, collection: string, field: string): Promise<boolean> {
    const key = collection + "\u0000" + field;
    let known = ctx.jsonFields[key];
    if (!known) {
        known = ctx.jsonFields[key] = probeJSON(ctx, collection, field);
        // A failed probe is asked again next time.
        known.catch(() => delete ctx.jsonFields[key]);
    }
    return known;
}

/**
 * probeJSON asks the server whether a field is JSON: only a JSON field
 * accepts a path (field.x) in a filter; any other field is a 400. A record's
 * values cannot tell a JSON array from a multi-value select or relation.
 */
async function probeJSON(ctx: DatabaseContext, collection: string, field: string): Promise<boolean> {
    try {
        await ctx.pb.collection(collection).getList(1, 1, {
            filter: `${field}.wxbase_probe = null`,
            fields: "id",
            skipTotal: true,
            requestKey: null,
        });
        return true;
    } catch (err) {
        if (err instanceof WxbaseError && err.status === 400) {
            return false;
        }
        const why = err instanceof Error ? err.message : String(err);
        throw new WxbaseError(`Cannot tell the type of field "${field}" (the collection's list rule must allow its records): ${why}`, {
            code: "wxbase_field_type_unknown",
            originalError: err,
        });
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

    async add(options: { data: Partial<T> & AnyObject }): Promise<AddResult> {
        const body = dataBody("add()", options && options.data);
        const record = await this.ctx.pb.collection(this.collectionName).create(body, noAutoCancel);
        return { _id: record.id, errMsg: "collection.add:ok" };
    }
}

class DocumentImpl<T> implements DocumentReference<T> {
    constructor(
        private readonly ctx: DatabaseContext,
        private readonly collectionName: string,
        readonly _id: string,
    ) {
        if (typeof _id !== "string" || !_id) {
            throw unsupported("doc() needs a record id.");
        }
    }

    private records() {
        return this.ctx.pb.collection(this.collectionName);
    }

    async get(): Promise<DocumentGetResult<T>> {
        const record = await this.records().getOne(this._id, noAutoCancel);
        return { data: toCloud(record) as DocumentGetResult<T>["data"], errMsg: "document.get:ok" };
    }

    /** A record that is missing or not the user's updates 0, as in CloudBase. */
    async update(options: { data: AnyObject }): Promise<UpdateResult> {
        const data = options && options.data;
        let record: RecordModel | null = null;
        if (data && fieldsNeedingRecord(data).length) {
            record = await this.getOrNull();
            if (!record) {
                return { stats: { updated: 0 }, errMsg: "document.update:ok" };
            }
        }
        const body = await updateBody("doc().update()", data, record, (field) =>
            isJSONField(this.ctx, this.collectionName, field),
        );
        try {
            await this.records().update(this._id, body, noAutoCancel);
        } catch (err) {
            if (isNotFound(err)) {
                return { stats: { updated: 0 }, errMsg: "document.update:ok" };
            }
            throw err;
        }
        return { stats: { updated: 1 }, errMsg: "document.update:ok" };
    }

    /**
     * set replaces the record: the given fields, every other field cleared
     * (never owner or PocketBase's noAutoCancel); a missing record is created with this id.
     */
    async set(options: { data: Partial<T> & AnyObject }): Promise<SetResult> {
        const body = dataBody("doc().set()", options && options.data);
        delete body.id;
        const current = await this.getOrNull();
        if (!current) {
            await this.records().create(Object.assign({}, body, { id: this._id }), noAutoCancel);
            return { _id: this._id, stats: { updated: 0, created: 1 }, errMsg: "document.set:ok" };
        }
        for (const key of Object.keys(current)) {
            if (!(key in body) && keptBySet.indexOf(key) < 0) {
                body[key] = null;
            }
        }
        await this.records().update(this._id, body, noAutoCancel);
        return { _id: this._id, stats: { updated: 1, created: 0 }, errMsg: "document.set:ok" };
    }

    /** A record that is missing or not the user's removes 0, as in CloudBase. */
    async remove(): Promise<RemoveResult> {
        try {
            await this.records().delete(this._id, noAutoCancel);
        } catch (err) {
            if (isNotFound(err)) {
                return { stats: { removed: 0 }, errMsg: "document.remove:ok" };
            }
            throw err;
        }
        return { stats: { removed: 1 }, errMsg: "document.remove:ok" };
    }

    watch(options: WatchOptions<T>): Watcher {
        return new QueryImpl<T>(this.ctx, this.collectionName).where({ _id: this._id }).watch(options);
    }

    private async getOrNull(): Promise<RecordModel | null> {
        try {
            return await this.records().getOne(this._id, noAutoCancel);
        } catch (err) {
            if (isNotFound(err)) {
                return null;
            }
            throw err;
        }
    }
}
