# pipelines/frontier-table.jq - nsl-frontier's summary record as the lines
# of a pipeline's table (pruning-curve.mk, perceptron.mk):
#   jq -r -f pipelines/frontier-table.jq frontier.jsonl
def r(k): if . == null then "-" else . * pow(10; k) | round / pow(10; k) | tostring end;
def pct: if . == null then "-" else . * 1e4 | round / 1e2 | tostring end;
"  frontier laws, held-out rmsle: " +
  (.holdout_rmsle | to_entries | map("\(.key) \(.value | r(4))") | join(", ")) +
  "; best: \(.best_law)",
"  exponent a of power-offset: frontier \(.a_frontier | r(3)) [\(.a_frontier_lo | r(3)), \(.a_frontier_hi | r(3))]" +
  ", unpruned \(.a_unpruned | r(3)) [\(.a_unpruned_lo | r(3)), \(.a_unpruned_hi | r(3))]",
"  at \(.x) = \(.at): frontier - unpruned = \(.delta_at | pct)% [\(.delta_lo | pct), \(.delta_hi | pct)]" +
  ", P(frontier lower) = \(.p_frontier_lower | r(3))",
"  crossover: " + (if .crossover == null then "none in the fitted range"
  else "\(.crossover | r(0)) [\(.crossover_lo | r(0)), \(.crossover_hi | r(0))]" end),
"  best keep fraction: " + (.best_f | map("\(.[1]) at \(.[0])") | join(", ")) +
  " (slope of ln f* on ln \(.x): \(.best_f_slope | r(3)))",
"  verdict: \(.verdict)" + (if .beats then " (the frontier beats the unpruned power law)"
  else " (the frontier does not beat the unpruned power law)" end)
