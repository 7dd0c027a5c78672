/** A repeatable stream of integers in [0, n) from `seed` (a linear congruential generator): a failing random walk replays exactly. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}
