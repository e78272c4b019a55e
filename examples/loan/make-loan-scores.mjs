// Writes loan-scores.csv.out: what a SageMaker batch transform job of a loan-approval model
// writes for CSV input (customer-features as CSV, no header) with JoinSource=Input and
// AssembleWith=Line: each input line followed by the model's output column. The "model" here is
// a fixed logistic curve of the credit score, so the file is reproducible:
//   node examples/loan/make-loan-scores.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('./', import.meta.url);
const columns = ['dob_ssn', 'credit_card_due', 'mortgage_due', 'student_loan_due', 'vehicle_loan_due', 'hard_pulls', 'missed_payments_2y', 'missed_payments_1y', 'missed_payments_6m', 'bankruptcies', 'credit_score'];
const rows = readFileSync(new URL('customer-features.jsonl', dir), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const lines = rows.map((r) => {
  const p = 1 / (1 + Math.exp(-(r.credit_score - 620) / 40));
  return [...columns.map((c) => r[c]), p.toFixed(4)].join(',');
});
writeFileSync(new URL('loan-scores.csv.out', dir), `${lines.join('\n')}\n`);
