"""Edge lists in (model/edgelists.py, model/network.py's build_networks): the id numbering by
hand, a round trip to the exact CSR, the dropped ties reported, one clear error per bad file,
the memory check before reading, and the model and a spec run on a loaded network."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import OpinionEcology, Params, edgelists
from model.edgelists import EdgeListError, EdgeListWarning, load


def csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(csr) -> list[list[int]]:
    return [sorted(csr.row(i).tolist()) for i in range(csr.n)]


# ---------------------------------------------------------------------------------- numbering
def test_whole_number_ids_are_numbered_in_numeric_order(tmp_path):
    # 10 sorts after 9 (numeric), not after 1 (text order)
    f = csv(tmp_path / "a.csv", "source,target\n10,9\n9,1\n")
    got = load(f)
    assert got.ids.tolist() == [1, 9, 10]
    a = got.layers["acquaintance_edges"]
    assert a.source.tolist() == [2, 1] and a.target.tolist() == [1, 0]


def test_text_ids_are_numbered_by_code_point_across_both_files(tmp_path):
    acq = csv(tmp_path / "a.csv", "source,target\nbob,alice\n")
    fol = csv(tmp_path / "f.csv", "source,target\nCarl,bob\n")
    got = load(acq, fol)
    # upper case sorts before lower case; the users are the union of both files
    assert got.ids == ["Carl", "alice", "bob"]
    assert got.layers["follow_edges"].source.tolist() == [0]
    assert got.layers["follow_edges"].target.tolist() == [2]


def test_a_node_file_fixes_the_order_and_adds_users_without_ties(tmp_path):
    f = csv(tmp_path / "a.csv", "source,target\n7,3\n")
    nodes = csv(tmp_path / "n.csv", "id,generation\n3,post00\n99,2\n7,pre80\n")
    got = load(f, nodes=nodes)
    assert got.ids.tolist() == [3, 99, 7]
    assert got.generation.tolist() == [0, 2, 3]
    a = got.layers["acquaintance_edges"]
    assert a.source.tolist() == [2] and a.target.tolist() == [0]


# ---------------------------------------------------------------------------------- round trip
ACQ = "source,target\na,b\nb,c\nc,a\nc,d\n"  # a triangle a-b-c and a pendant d
FOLLOW = "source,target\nb,a\nc,a\nd,a\na,d\n"  # everyone follows a; a follows d


def test_a_known_graph_loads_as_exactly_its_csr(tmp_path):
    p = Params(
        n_users=4,
        acquaintance_edges=str(csv(tmp_path / "a.csv", ACQ)),
        follow_edges=str(csv(tmp_path / "f.csv", FOLLOW)),
        focal_followers=0,
    )
    nets = OpinionEcology(p, seed=0).networks
    # users a, b, c, d = 0, 1, 2, 3
    assert rows_of(nets.acq) == [[1, 2], [0, 2], [0, 1, 3], [2]]
    assert nets.acq.indptr.tolist() == [0, 2, 4, 7, 8]
    # followers by account: a is followed by b, c, d; d by a
    assert rows_of(nets.followers) == [[1, 2, 3], [], [], [0]]


def test_the_same_graph_from_parquet_gives_the_same_layers(tmp_path):
    df = pd.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "a", "d"]})
    df.to_parquet(tmp_path / "a.parquet")
    from_csv = load(csv(tmp_path / "a.csv", ACQ)).layers["acquaintance_edges"]
    from_pq = load(tmp_path / "a.parquet").layers["acquaintance_edges"]
    assert from_pq.source.tolist() == from_csv.source.tolist()
    assert from_pq.target.tolist() == from_csv.target.tolist()


def test_self_loops_and_repeats_are_dropped_and_counted(tmp_path):
    # a-b three times (once reversed: the same undirected tie), one self-loop, b-c once
    acq = csv(tmp_path / "a.csv", "source,target\na,b\nb,a\na,b\nc,c\nb,c\n")
    # a->b twice (one repeat); b->a is another follow, not a repeat
    fol = csv(tmp_path / "f.csv", "source,target\na,b\na,b\nb,a\nc,c\n")
    p = Params(n_users=3, acquaintance_edges=str(acq), follow_edges=str(fol), focal_followers=0)
    with pytest.warns(EdgeListWarning) as caught:
        nets = OpinionEcology(p, seed=0).networks
    messages = [str(w.message) for w in caught]
    assert any(
        "dropped 1 self-loops and 2 repeated ties" in m and "of 5 rows" in m for m in messages
    )
    assert any("dropped 1 self-loops and 1 repeated follows of 4 rows" in m for m in messages)
    assert nets.acq.n_edges == 2 * 2 and nets.followers.n_edges == 2


def test_a_clean_file_warns_nothing(tmp_path):
    p = Params(n_users=4, acquaintance_edges=str(csv(tmp_path / "a.csv", ACQ)), focal_followers=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeListWarning)
        OpinionEcology(p, seed=0)


# ---------------------------------------------------------------------------------- errors
def one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(EdgeListError) as e:
        load(tmp_path / "nope.csv")
    assert "acquaintance_edges" in one_line(e) and "nope.csv does not exist" in str(e.value)
    with pytest.raises(EdgeListError, match="is a directory"):
        load("", tmp_path)


def test_an_unreadable_parquet_file_is_refused(tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"this is not parquet at all\n" * 10)
    with pytest.raises(EdgeListError) as e:
        load(bad)
    assert "is not a readable Parquet file" in one_line(e)


def test_an_unreadable_csv_file_is_refused(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_bytes(b"source,target\n1,2\n\xff\xfe,3,4,5\n")
    with pytest.raises(EdgeListError) as e:
        load(bad)
    assert "x.csv" in one_line(e)


def test_missing_columns_name_what_is_there_and_what_is_required(tmp_path):
    f = csv(tmp_path / "a.csv", "from,to,weight\n1,2,0.5\n")
    with pytest.raises(EdgeListError) as e:
        load(f)
    msg = one_line(e)
    assert "no column 'source', 'target'" in msg
    assert "it has from, to, weight" in msg and "required: source, target" in msg


def test_an_empty_file_and_a_header_without_rows_are_refused(tmp_path):
    with pytest.raises(EdgeListError, match="is empty"):
        load(csv(tmp_path / "e.csv", ""))
    with pytest.raises(EdgeListError, match="has a header but no rows"):
        load(csv(tmp_path / "h.csv", "source,target\n"))


def test_non_integer_ids_are_refused(tmp_path):
    with pytest.raises(EdgeListError) as e:
        load(csv(tmp_path / "a.csv", "source,target\n1.5,2\n3,4\n"))
    assert "column 'source' holds non-integer ids (e.g. 1.5)" in one_line(e)
    pd.DataFrame({"source": [1.0, 2.0], "target": [2.0, 3.0]}).to_parquet(tmp_path / "f.parquet")
    with pytest.raises(EdgeListError, match="non-integer ids"):
        load(tmp_path / "f.parquet")


@pytest.mark.parametrize("cell", ["", "NaN", "nan"])
def test_empty_or_nan_ids_are_refused_with_their_row(tmp_path, cell):
    f = csv(tmp_path / "a.csv", f"source,target\n1,2\n3,{cell}\n")
    with pytest.raises(EdgeListError) as e:
        load(f)
    assert "column 'target' has 1 empty or NaN ids (first at data row 2)" in one_line(e)


def test_nan_ids_in_parquet_are_refused(tmp_path):
    pd.DataFrame({"source": [1.0, np.nan], "target": [2.0, 3.0]}).to_parquet(tmp_path / "f.pq")
    with pytest.raises(EdgeListError, match="empty or NaN ids"):
        load(tmp_path / "f.pq")


def test_files_with_different_kinds_of_id_are_refused(tmp_path):
    acq = csv(tmp_path / "a.csv", "source,target\n1,2\n")
    fol = csv(tmp_path / "f.csv", "source,target\nx,y\n")
    with pytest.raises(EdgeListError) as e:
        load(acq, fol)
    assert "text in follow_edges but whole numbers in acquaintance_edges" in one_line(e)


def test_ids_not_in_the_node_file_are_refused(tmp_path):
    f = csv(tmp_path / "a.csv", "source,target\n1,2\n2,5\n5,6\n")
    nodes = csv(tmp_path / "n.csv", "id\n1\n2\n5\n")
    with pytest.raises(EdgeListError) as e:
        load(f, nodes=nodes)
    assert "column 'target' has 1 ids that the node file does not list (e.g. 6)" in one_line(e)


def test_a_node_file_with_repeated_ids_or_unknown_cohorts_is_refused(tmp_path):
    f = csv(tmp_path / "a.csv", "source,target\n1,2\n")
    with pytest.raises(EdgeListError, match="lists 1 ids more than once"):
        load(f, nodes=csv(tmp_path / "n.csv", "id\n1\n2\n2\n"))
    with pytest.raises(EdgeListError) as e:
        load(f, nodes=csv(tmp_path / "g.csv", "id,generation\n1,post00\n2,genz\n"))
    assert "1 values that are not 0-3 or one of post00" in one_line(e)
    with pytest.raises(EdgeListError, match="first at data row 1"):
        load(f, nodes=csv(tmp_path / "h.csv", "id,generation\n1,4\n2,0\n"))


def test_n_users_must_match_the_files_and_the_error_names_the_value(tmp_path):
    p = Params(n_users=10, acquaintance_edges=str(csv(tmp_path / "a.csv", ACQ)))
    with pytest.raises(EdgeListError) as e:
        OpinionEcology(p, seed=0)
    assert "name 4 users but n_users=10; set n_users=4" in one_line(e)


def test_a_file_too_big_for_memory_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A 10^8-line file on a machine with 24 GB available: the estimate (rows from the first
    64 KiB's bytes per line, times the measured bytes per row) is over half of 24 GB, so the
    file is refused with the estimate. The file is sparse (a few real lines, then a hole of
    zeros): reading it would fail on the zeros, so the message proves nothing was read."""
    line = b"1000000,2000000\n"  # 16 bytes
    f = tmp_path / "huge.csv"
    with f.open("wb") as out:
        out.write(b"source,target\n" + line * 5000)
        out.truncate(16 * 10**8)
    monkeypatch.setattr(edgelists, "available_memory", lambda: 24 * 10**9)
    with pytest.raises(EdgeListError) as e:
        load(f)
    msg = one_line(e)
    assert "has about 99,9" in msg or "has about 100,0" in msg, msg
    assert "of the 24.0 GB available" in msg
    # 10^8 rows x 176 bytes + 1.6 GB x 4 = 24.0 GB
    assert "loading needs about 24.0 GB" in msg and "at least 48 GB available" in msg


def test_a_small_file_fits_the_same_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(edgelists, "available_memory", lambda: 24 * 10**9)
    assert load(csv(tmp_path / "a.csv", ACQ)).n == 4
    # and the same small file is refused when almost nothing is available
    monkeypatch.setattr(edgelists, "available_memory", lambda: 1000)
    with pytest.raises(EdgeListError, match="loading needs about"):
        load(csv(tmp_path / "b.csv", ACQ))


def test_the_estimate_for_parquet_uses_its_exact_row_count(tmp_path):
    pd.DataFrame({"source": np.arange(1000), "target": np.arange(1, 1001)}).to_parquet(
        tmp_path / "a.parquet"
    )
    rows, data = edgelists._estimate_rows(tmp_path / "a.parquet", "parquet", "x")
    assert rows == 1000 and data > 0


# ---------------------------------------------------------------------------------- the model
def test_a_changed_file_is_read_again(tmp_path):
    f = csv(tmp_path / "a.csv", ACQ)
    first = OpinionEcology(Params(n_users=4, acquaintance_edges=str(f)), seed=0).networks.acq
    csv(f, ACQ + "d,a\n")
    second = OpinionEcology(Params(n_users=4, acquaintance_edges=str(f)), seed=0).networks.acq
    assert first.n_edges == 8 and second.n_edges == 10


def test_the_model_steps_on_a_loaded_network_that_reaches_its_users(tmp_path):
    rng = np.random.default_rng(5)
    n = 400
    ring = pd.DataFrame({"source": np.arange(n), "target": (np.arange(n) + 1) % n})
    ring.to_csv(tmp_path / "ring.csv", index=False)
    follows = pd.DataFrame(
        {"source": rng.integers(0, n, 4000), "target": rng.integers(0, 40, 4000)}
    )
    follows.to_parquet(tmp_path / "f.parquet")
    p = Params(
        n_users=n,
        acquaintance_edges=str(tmp_path / "ring.csv"),
        follow_edges=str(tmp_path / "f.parquet"),
        steps=6,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeListWarning)  # the random follows repeat
        m = OpinionEcology(p, seed=3)
    assert m.networks.acq.degree.tolist() == [2] * n  # a ring: two acquaintances each
    # only accounts 0..39 have followers
    assert m.networks.followers.degree[40:].sum() == 0 and m.networks.followers.n_edges > 3000
    for _ in range(6):
        m.step()
    assert m.steps == 6
    assert np.isfinite(m.state.opinion).all()


def test_a_spec_with_the_keys_in_fixed_runs_end_to_end(tmp_path):
    import experiments

    n = 60
    pd.DataFrame({"source": np.arange(n), "target": (np.arange(n) + 1) % n}).to_csv(
        tmp_path / "ring.csv", index=False
    )
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f"""name = "loaded"
replicates = 1
root_seed = 1
steps = 3

[fixed]
n_users = {n}
focal_followers = 10
acquaintance_edges = "{tmp_path / "ring.csv"}"

[arms]
one_way = "one_way"
interactive = "interactive"
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    experiments.run(spec, out, progress=False)
    runs = experiments.load_results(out).runs
    assert len(runs) == 2 and (runs["status"] == "ok").all()
    assert (runs["param.acquaintance_edges"] == str(tmp_path / "ring.csv")).all()


# ---------------------------------------------------------------------------------- the report
def test_ccdf_by_hand():
    from model.degrees import ccdf

    k, p = ccdf(np.array([0, 1, 1, 3]))
    assert k.tolist() == [1, 3] and p.tolist() == [0.75, 0.25]


def test_the_tail_exponent_of_a_known_power_law_is_recovered():
    """20,000 draws of P(k) ~ k^-2.5 (numpy's zipf). The tail is thousands of degrees, so the
    MLE's standard error (alpha - 1) / sqrt(n) is about 0.03; the discrete approximation adds a
    bias under 0.05 at the cut-offs kept (Clauset et al. 2009, fig. 3): 0.15 allows both."""
    from model.degrees import tail_exponent

    k = np.random.default_rng(7).zipf(2.5, size=20_000)
    alpha, kmin, m, ks = tail_exponent(k)
    assert alpha == pytest.approx(2.5, abs=0.15) and m >= 1000 and ks < 0.05


def test_a_narrow_distribution_gets_no_exponent_or_a_bad_fit():
    from model.degrees import tail_exponent

    alpha, _, _, ks = tail_exponent(np.random.default_rng(8).poisson(15, size=5000))
    assert np.isnan(alpha) or ks > 0.1


def test_describe_counts_the_file_s_degrees_by_hand_beside_generated_ones(tmp_path):
    from model.degrees import describe

    acq = csv(tmp_path / "a.csv", ACQ + "a,a\n")
    fol = csv(tmp_path / "f.csv", FOLLOW + "b,a\n")
    r = describe(acq, fol)
    assert r.n == 4
    assert r.dropped == {"acquaintance_edges": (5, 1, 0), "follow_edges": (5, 0, 1)}
    assert r.degrees[("acquaintance degree", "file")].tolist() == [2, 2, 3, 1]
    assert r.degrees[("follow in-degree", "file")].tolist() == [3, 0, 0, 1]
    assert r.degrees[("follow out-degree", "file")].tolist() == [1, 1, 1, 1]
    assert len(r.degrees[("follow in-degree", "generated")]) == 4
    rows = {(t["measure"], t["source"]): t for t in r.table()}
    assert rows[("acquaintance degree", "file")]["mean"] == 2.0
    assert rows[("follow in-degree", "file")]["max"] == 3


def test_the_command_prints_the_report_and_writes_the_figure(tmp_path, capsys):
    from model.degrees import main

    fig = tmp_path / "ccdf.png"
    code = main(["--acquaintance", str(csv(tmp_path / "a.csv", ACQ)), "--figure", str(fig)])
    out = capsys.readouterr().out
    assert code == 0 and "users: 4 (set n_users=4)" in out and "acquaintance degree" in out
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["--follow", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: follow_edges:") and err.count("\n") == 1


def test_the_results_record_the_file_s_hash_and_a_resume_refuses_a_changed_file(tmp_path):
    import json

    import experiments
    from experiments.errors import StoreError
    from model.edgelists import file_hash

    n = 40
    ring = tmp_path / "ring.csv"
    pd.DataFrame({"source": np.arange(n), "target": (np.arange(n) + 1) % n}).to_csv(
        ring, index=False
    )
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "loaded"\nreplicates = 1\nroot_seed = 1\nsteps = 2\n\n[fixed]\nn_users = {n}\n'
        f'focal_followers = 5\nacquaintance_edges = "{ring}"\n\n[arms]\none_way = "one_way"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    experiments.run(spec, out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"] == {str(ring.resolve()): file_hash(ring)}
    experiments.run(spec, out, progress=False, resume=True)  # the same file: resumes
    with ring.open("a", encoding="utf-8") as f:
        f.write("0,20\n")
    with pytest.raises(StoreError, match="holds runs on other versions of .*ring.csv"):
        experiments.run(spec, out, progress=False, resume=True)


def test_an_experiment_naming_a_missing_file_is_refused_before_any_run(tmp_path):
    import experiments
    from experiments.spec import SpecError

    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "loaded"\nreplicates = 1\nroot_seed = 1\nsteps = 2\n\n[fixed]\nn_users = 40\n'
        f'follow_edges = "{tmp_path / "gone.csv"}"\n\n[arms]\none_way = "one_way"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    # refused when the spec is read (experiments.spec_paths), naming the file it looked for
    with pytest.raises(SpecError, match=r"follow_edges: edge list .*gone\.csv' is not a file"):
        experiments.run(spec, out, progress=False)
    assert not (out / "manifest.json").exists()


def test_text_after_whole_numbers_in_a_later_block_is_refused(tmp_path, monkeypatch):
    # the first block's ids are whole numbers; a later block holds text
    monkeypatch.setattr(edgelists, "CSV_BLOCK", 64)
    f = csv(tmp_path / "a.csv", "source,target\n" + "1,2\n" * 40 + "x,y\n")
    with pytest.raises(EdgeListError) as e:
        load(f)
    assert "is not a readable CSV file" in one_line(e) and "all whole numbers or all text" in str(
        e.value
    )


def test_pyarrow_s_quote_of_a_bad_line_is_shortened(tmp_path):
    f = csv(tmp_path / "a.csv", "source,target\n1,2\n" + "3," * 400 + "4\n")
    with pytest.raises(EdgeListError) as e:
        load(f)
    assert len(one_line(e)) < 300 + len(str(f))


def test_a_compressed_csv_is_refused_with_what_to_do(tmp_path):
    import gzip

    f = tmp_path / "a.csv.gz"
    f.write_bytes(gzip.compress(ACQ.encode()))
    with pytest.raises(EdgeListError) as e:
        load(f)
    assert "is compressed (.gz); decompress it, or write it as Parquet" in one_line(e)


def test_a_parquet_file_damaged_past_its_metadata_is_refused(tmp_path):
    f = tmp_path / "d.parquet"
    n = 100_000
    pd.DataFrame({"source": np.arange(n), "target": np.arange(n)[::-1]}).to_parquet(
        f, compression="snappy"
    )
    data = bytearray(f.read_bytes())
    data[100:3000] = bytes(b ^ 0x5A for b in data[100:3000])  # the first data page, not the footer
    f.write_bytes(bytes(data))
    with pytest.raises(EdgeListError) as e:
        load(f)
    assert "d.parquet is not a readable Parquet file" in one_line(e)


MEASURE_PEAK = """
import resource, sys, warnings
import numpy as np
import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.parquet
from model import edgelists
from model.network import csr_from_edges

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
loaded = edgelists.load(sys.argv[1])
a = loaded.layers["acquaintance_edges"]
csr_from_edges(np.concatenate([a.source, a.target]), np.concatenate([a.target, a.source]), loaded.n)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "parquet", "text"])
def test_the_memory_estimate_bounds_the_measured_peak(tmp_path, kind):
    """The load of 10^6 rows and its acquaintance layer (the larger of the two: both
    directions sorted), in a fresh process: the growth of its peak resident memory must stay
    under :func:`memory_needed`, the estimate a file is refused by. The measured values when
    the constants were set are 157-234 bytes a row against estimates of 199-266."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    rows, n = 10**6, 100_000
    s, t = rng.integers(0, n, rows), rng.integers(0, n, rows)
    if kind == "text":
        df = pd.DataFrame({"source": [f"user{x}" for x in s], "target": [f"user{x}" for x in t]})
    else:
        df = pd.DataFrame({"source": s, "target": t})
    f = tmp_path / ("a.parquet" if kind == "parquet" else "a.csv")
    df.to_parquet(f) if kind == "parquet" else df.to_csv(f, index=False)
    run = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK, str(f)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    peak = int(run.stdout.split()[-1])
    est_rows, data = edgelists._estimate_rows(f, "parquet" if kind == "parquet" else "csv", "x")
    assert est_rows == pytest.approx(rows, rel=0.02)
    assert peak < edgelists.memory_needed(est_rows, data), (peak / rows, kind)
