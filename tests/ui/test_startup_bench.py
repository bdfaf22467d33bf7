from faceapp.ui.startup_bench import bench_startup


def test_startup_bench_times_a_real_launch():
    result = bench_startup(runs=1)  # a fresh interpreter runs the app until its first paint
    assert result["window_s"] > 0 and result["first_result_s"] is None
    assert len(result["runs"]) == 1
