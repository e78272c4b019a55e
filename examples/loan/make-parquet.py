"""Writes customer-features.parquet from customer-features.jsonl with pyarrow, the way an
offline feature store (Feast, Spark) leaves its features: snappy pages, dictionary encoding,
int64 columns, a timestamp, and small row groups (10 rows) so that one file makes several
chunks. Reproduce with (pyarrow from PyPI):

    python3 -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow
    /tmp/pa/bin/python examples/loan/make-parquet.py
"""
import json
import pathlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

here = pathlib.Path(__file__).parent
rows = [json.loads(line) for line in (here / "customer-features.jsonl").read_text().splitlines() if line.strip()]
table = pa.Table.from_pylist(rows)
table = table.set_column(
    table.schema.get_field_index("event_timestamp"),
    "event_timestamp",
    pc.cast(pc.strptime(table["event_timestamp"], format="%Y-%m-%dT%H:%M:%S%z", unit="ms"), pa.timestamp("ms", tz="UTC")),
)
pq.write_table(table, here / "customer-features.parquet", row_group_size=10, compression="snappy", use_dictionary=True)
