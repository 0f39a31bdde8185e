/**
 * A result file's name: the run's start time, local, to the second (2026-11-23T230612), so two runs started in the
 * same minute (a soak and a benchmark, say) do not overwrite each other. Files written before, named to the minute
 * (2026-11-23T2306), stay as they are and still sort among the new ones.
 */
export function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}
