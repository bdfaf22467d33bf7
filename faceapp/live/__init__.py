"""Live: frames from a camera or clip through tracking, liveness and recognition to decisions (sources, tracker, liveness, pipeline, session, multi: several cameras at once)."""
