import type { WhereCondition } from "../../types/index";
import { unsupported } from "../errors";
import { QueryCmd, UpdateCmd } from "./command";
import { checkName, isPlainObject, serverField } from "./fields";

/** A filter expression with {:pN} placeholders, and the values they bind. */
export interface CompiledFilter {
    expr: string;
    params: { [key: string]: any };
}

// Comparison operators. `?` makes PocketBase match when any item of a
// multi-value field (select, relation, file) compares true, which is
// CloudBase's rule for arrays: where({ tags: 'a' }) finds records tagged 'a'.
const comparison: { [op: string]: string } = {
    eq: "?=",
    neq: "!=",
    gt: "?>",
    gte: "?>=",
    lt: "?<",
    lte: "?<=",
};

// Filters that are always false and always true, for in([]) and nin([]).
const never = "(1 = 2)";

/**
 * FilterCompiler turns a CloudBase where() condition into a PocketBase
 * filter. Values only ever become parameters, for pb.filter() to quote.
 */
export class FilterCompiler {
    private params: { [key: string]: any } = {};
    private n = 0;

    // The path _openid became (owner): only '{openid}' compares with it.
    private openidPath = "";

    constructor(private readonly userId: string) {}

    compile(condition: WhereCondition | QueryCmd): CompiledFilter {
        const expr = this.condition(condition, "");
        return { expr, params: this.params };
    }

    private condition(condition: WhereCondition | QueryCmd, prefix: string): string {
        if (condition instanceof QueryCmd) {
            if (condition.operator === "nor") {
                throw unsupported("watch(): _.nor() is not supported in a watched query yet (get() takes it).");
            }
            if (condition.operator !== "and" && condition.operator !== "or") {
                throw unsupported(`where(): _.${condition.operator}() needs a field: where({ field: _.${condition.operator}(...) }).`);
            }
            return this.logic(condition, (operand) => {
                const nestedLogic = operand instanceof QueryCmd && (operand.operator === "and" || operand.operator === "or");
                if (!nestedLogic && !isPlainObject(operand)) {
                    throw unsupported("where(): _.and()/_.or() at the top level take conditions such as { field: value }.");
                }
                return this.condition(operand, prefix);
            });
        }
        if (!isPlainObject(condition)) {
            throw unsupported("where() takes an object of field conditions.");
        }
        const parts: string[] = [];
        for (const key of Object.keys(condition)) {
            const value = condition[key];
            if (value === undefined) {
                continue;
            }
            const name = checkName(prefix ? key : serverField(key), "where()");
            if (!prefix && key === "_openid") {
                this.openidPath = name;
            }
            const path = prefix + name;
            if (value instanceof QueryCmd) {
                parts.push(this.command(path, value));
            } else if (isPlainObject(value)) {
                // CloudBase's nested match is a JSON path (or a relation's field) here.
                const nested = this.condition(value, path + ".");
                if (nested) {
                    parts.push(nested);
                }
            } else {
                parts.push(this.compare(path, "eq", value));
            }
        }
        return join(parts, " && ");
    }

    private command(path: string, cmd: QueryCmd): string {
        switch (cmd.operator) {
            case "and":
            case "or":
                return this.logic(cmd, (operand) => {
                    if (!(operand instanceof QueryCmd)) {
                        throw unsupported(`where(): _.${cmd.operator}() on a field takes operators such as _.gt(1).`);
                    }
                    return this.command(path, operand);
                });
            case "in":
                if (!cmd.operands[0].length) {
                    return never;
                }
                return "(" + cmd.operands[0].map((v: any) => this.compare(path, "eq", v)).join(" || ") + ")";
            case "nin":
                if (!cmd.operands[0].length) {
                    return "";
                }
                return "(" + cmd.operands[0].map((v: any) => this.compare(path, "neq", v)).join(" && ") + ")";
            default:
                if (!(cmd.operator in comparison)) {
                    throw unsupported(
                        `watch(): _.${cmd.operator}() is not supported in a watched query yet; it takes eq, neq, gt, gte, lt, lte, in, nin, and, or (get() takes every operator).`,
                    );
                }
                return this.compare(path, cmd.operator, cmd.operands[0]);
        }
    }

    private logic(cmd: QueryCmd, each: (operand: any) => string): string {
        if (!cmd.operands.length) {
            throw unsupported(`where(): _.${cmd.operator}() needs at least one condition.`);
        }
        const parts = cmd.operands.map(each);
        const joined = join(parts, cmd.operator === "and" ? " && " : " || ");
        // An empty condition matches everything, which decides an or().
        if (cmd.operator === "or" && parts.some((p) => !p)) {
            return "";
        }
        return joined;
    }

    private compare(path: string, op: string, value: any): string {
        if (value instanceof UpdateCmd) {
            throw unsupported(`where(): _.${value.operator}() is an update operator.`);
        }
        if (Object.prototype.toString.call(value) === "[object RegExp]") {
            throw unsupported("where(): regular expressions are not supported; PocketBase filters have no regex match.");
        }
        if (Array.isArray(value) || isPlainObject(value)) {
            throw unsupported(`where(): "${path}" compared with an array or object; PocketBase compares single values (use _.in([...]) for any of several).`);
        }
        if (typeof value === "function" || typeof value === "symbol" || value === undefined) {
            throw unsupported(`where(): "${path}" has no value to compare with.`);
        }
        if (this.openidPath === path && value !== "{openid}" && value !== null) {
            // The server's _openid is an openid, which a watched filter
            // cannot compare yet: saying so beats matching nothing.
            throw unsupported(
                "watch(): _openid is compared with '{openid}' (the signed-in user) only in a watched query; get() takes any openid.",
            );
        }
        if (value === "{openid}") {
            value = this.userId;
        }
        const key = "p" + this.n++;
        this.params[key] = value;
        const placeholder = "{:" + key + "}";
        if (value === null) {
            // PocketBase's "= null" also matches empty values, as CloudBase's null matches missing ones.
            return `${path} ${op === "neq" ? "!=" : "="} ${placeholder}`;
        }
        return `${lhs(path)} ${comparison[op]} ${placeholder}`;
    }
}

/**
 * lhs adds :each to a top-level field, so that a multi-value field compares
 * item by item; on single-value fields PocketBase ignores the modifier. id
 * and owner are single values: compared plainly, they can use their index.
 */
function lhs(path: string): string {
    if (path.indexOf(".") >= 0 || path === "id" || path === "owner") {
        return path;
    }
    return path + ":each";
}

function join(parts: string[], op: string): string {
    const kept = parts.filter((p) => p);
    if (kept.length <= 1) {
        return kept.join("");
    }
    return "(" + kept.join(op) + ")";
}
