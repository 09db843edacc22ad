// The rest of wx.cloud.database()'s names: the database options, and the
// CloudBase APIs wxbase has no counterpart for, each a clear
// wxbase_unsupported error that says what to use instead.
import type {
    AnyObject,
    CollectionReference,
    Command,
    Database,
    DatabaseOptions,
    DocumentGetResult,
    DocumentReference,
} from "../../types/index";
import { unsupported } from "../errors";
import { isMissingDocument, settle } from "./callbacks";

/** cloudbaseCommands are db.command's names wxbase has no counterpart for: each throws what to use. */
export function cloudbaseCommands(): Pick<Command, "jsonSchema"> {
    return {
        jsonSchema: () => {
            throw unsupported(
                "db.command.jsonSchema() is not supported by wxbase: PocketBase checks records against the collection's " +
                    "fields instead; set their types and constraints (required, min, max, pattern) in the dashboard.",
            );
        },
    };
}

const noTransactions =
    "a mini-program cannot hold a transaction open. Write the transaction as a pb_hooks route (app.callFunction) " +
    "with $app.runInTransaction(), or send the writes together, all or nothing, through PocketBase's batch API " +
    "(POST /api/batch, app.pb.createBatch()).";

const refusals = {
    runTransaction: `db.runTransaction() is not supported by wxbase: ${noTransactions}`,
    startTransaction: `db.startTransaction() is not supported by wxbase: ${noTransactions}`,
    createCollection:
        "db.createCollection() is not supported by wxbase: collections are created by an admin, in the PocketBase " +
        "dashboard (/_/) or by a migration in pb_migrations, with their fields and access rules.",
};

/** refuse is a CloudBase database method wxbase does not have: it rejects, as the call would have answered. */
function refuse(api: "runTransaction" | "startTransaction" | "createCollection"): () => Promise<never> {
    return () => settle(`database.${api}`, undefined, () => Promise.reject(unsupported(refusals[api]))) as Promise<never>;
}

/**
 * cloudbaseDatabase completes the facade's database with CloudBase's other
 * names and applies the database options: with throwOnNotFound false,
 * doc(id).get() of a missing record resolves { data: null } as CloudBase's
 * does, instead of rejecting.
 */
export function cloudbaseDatabase(
    base: Omit<Database, "runTransaction" | "startTransaction" | "createCollection">,
    options: DatabaseOptions = {},
): Database {
    const db: Database = Object.assign({}, base, {
        runTransaction: refuse("runTransaction"),
        startTransaction: refuse("startTransaction"),
        createCollection: refuse("createCollection"),
    });
    if (options.throwOnNotFound === false) {
        db.collection = <T = AnyObject>(name: string): CollectionReference<T> => {
            const collection = base.collection<T>(name);
            const doc = collection.doc;
            collection.doc = (id: string) => nullWhenMissing(doc.call(collection, id));
            return collection;
        };
    }
    return db;
}

/** nullWhenMissing makes a document's get() resolve { data: null } when the record does not exist. */
function nullWhenMissing<T>(document: DocumentReference<T>): DocumentReference<T> {
    const get = document.get as (this: DocumentReference<T>) => Promise<DocumentGetResult<T>>;
    const getOrNull = (options?: unknown) =>
        settle(
            "document.get",
            options,
            () =>
                get.call(document).catch((err: unknown) => {
                    if (isMissingDocument(err)) {
                        return { data: null as unknown as DocumentGetResult<T>["data"], errMsg: "document.get:ok" };
                    }
                    throw err;
                }),
            document._id,
        );
    document.get = getOrNull as DocumentReference<T>["get"];
    return document;
}
