// Type-checked only, never bundled: proves that what src/index.ts exports
// matches its declaration in types/index.d.ts.
import type * as Declared from "../types/index";
import * as Impl from "./index";

export const init: typeof Declared.init = Impl.init;
export const WxbaseError: typeof Declared.WxbaseError = Impl.WxbaseError;
