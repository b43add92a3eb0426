"""One Report, rendered for each platform that grades or records it.

The formats are listed in one table, `grader.export.formats.FORMATS`. Per submission
(`python -m grader FILE --format NAME`): the file's text, JSON for gradescope and prairielearn,
XML for junit. Per batch (`python -m grader export NAME`): canvas and moodle turn a batch's
reports into gradebook CSVs. `gradescope build` writes autograder.zip (`grader.export.cli`).
"""
