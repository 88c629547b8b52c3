import { invalid } from './pmml-error.ts';
import { UNSET, type FieldBinding, type Getter, type RowContext, type Value } from './types.ts';
import type { XmlElement } from './xml.ts';

/**
 * Field visibility at load time: a model sees its own mining fields, local derived fields and output fields,
 * then its parent's. Definitions may be lazy so that derived fields can refer to each other in any order.
 */
export class Scope {
  private readonly parent: Scope | undefined;
  private readonly lazy = new Map<string, () => FieldBinding>();
  private readonly bound = new Map<string, FieldBinding>();
  private readonly compiling = new Set<string>();

  constructor(parent?: Scope) {
    this.parent = parent;
  }

  define(binding: FieldBinding): void {
    this.bound.set(binding.name, binding);
    this.lazy.delete(binding.name);
  }

  defineLazy(name: string, compile: () => FieldBinding): void {
    this.lazy.set(name, compile);
    this.bound.delete(name);
  }

  has(name: string): boolean {
    return this.bound.has(name) || this.lazy.has(name) || (this.parent?.has(name) ?? false);
  }

  /** Defined only here, not in a parent. */
  hasOwn(name: string): boolean {
    return this.bound.has(name) || this.lazy.has(name);
  }

  resolve(name: string, from: XmlElement): FieldBinding | undefined {
    const bound = this.bound.get(name);
    if (bound) return bound;
    const compile = this.lazy.get(name);
    if (compile) {
      if (this.compiling.has(name)) throw invalid(from, `field '${name}' is defined in terms of itself`);
      this.compiling.add(name);
      try {
        const binding = compile();
        this.bound.set(name, binding);
        this.lazy.delete(name);
        return binding;
      } finally {
        this.compiling.delete(name);
      }
    }
    return this.parent?.resolve(name, from);
  }

  require(name: string, from: XmlElement): FieldBinding {
    const binding = this.resolve(name, from);
    if (!binding) throw invalid(from, `refers to field '${name}', which is not defined in this scope`);
    return binding;
  }
}

/** A getter computed at most once per row, kept in a slot of the row context. */
export function cachedGetter(slot: number, compute: Getter): Getter {
  return (ctx: RowContext): Value => {
    const cached = ctx.slots[slot];
    if (cached !== UNSET) return cached as Value;
    const value = compute(ctx);
    ctx.slots[slot] = value;
    return value;
  };
}
