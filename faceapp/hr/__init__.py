"""HR attendance: work schedules and holidays (schedule), each person's day as present / late / left
early / absent / on holiday / on leave / incomplete with worked time (status), the monthly report
and its Excel and CSV files (report, export). Qt-free; the Attendance tab and `faceapp report` /
`faceapp schedule` only show and forward."""
