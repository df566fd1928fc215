/** A registered class for the type-registry tests: instances must arrive as instances. */
import { registerType } from '../../src/wire/registry.js';

export class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}

  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

registerType(Point, {
  name: 'test.Point',
  moduleUrl: import.meta.url,
  encode: (p: Point) => [p.x, p.y],
  decode: ([x, y]: number[]) => new Point(x ?? 0, y ?? 0),
});
