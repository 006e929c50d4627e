import pytest

from backend.jobs.analysis import CsvFormatError, analyze, analyze_text, summarize_csv


def test_counts_words_sentences_and_characters():
    text = "Hello world. This is a test! Is it? Yes\n\nA heading\n\nLast line"
    stats = analyze_text(text, language="en")
    assert stats.word_count == 13
    assert stats.sentence_count == 6
    assert stats.char_count == len(text)
    assert stats.reading_time_minutes == 1


def test_reading_time_rounds_up_at_200_words_a_minute():
    assert analyze_text("word " * 200, language="en").reading_time_minutes == 1
    assert analyze_text("word " * 201, language="en").reading_time_minutes == 2
    assert analyze_text("", language="en").reading_time_minutes == 0


def test_top_terms_leave_out_english_stop_words_numbers_and_single_letters():
    text = "The cat and the dog. The cat sat on a mat in 2024; x marks it. Cat!"
    top = analyze_text(text, language="en").top_terms(3)
    assert top == [
        {"term": "cat", "count": 3},
        {"term": "dog", "count": 1},
        {"term": "marks", "count": 1},
    ]


def test_top_terms_leave_out_german_stop_words_for_the_german_hint():
    text = "Der Hund und die Katze. Der Hund schläft, die Katze läuft über die Straße."
    german = analyze_text(text, language="de").term_counts
    assert set(german) == {"hund", "katze", "schläft", "läuft", "straße"}
    # With the English hint German function words stay in.
    assert "der" in analyze_text(text, language="en").term_counts


def test_terms_keep_inner_apostrophes_and_hyphens():
    counts = analyze_text("Don’t stop the e-mail; don't!", language="de").term_counts
    assert counts["don't"] == 2
    assert counts["e-mail"] == 1


def test_ties_are_ordered_alphabetically():
    top = analyze_text("pear apple pear apple zebra", language="en").top_terms(10)
    assert [t["term"] for t in top] == ["apple", "pear", "zebra"]


def test_csv_summary_per_column():
    table = summarize_csv("name;age;score\nAnna;31;1.5\nBob;45;x\nCara;;2\n")
    assert table["rows"] == 3
    assert table["columns"] == 3
    assert table["delimiter"] == ";"
    name, age, score = table["column_summaries"]
    assert name == {
        "name": "name", "type": "text", "distinct": 3, "empty": 0,
        "min": None, "max": None, "mean": None,
    }  # fmt: skip
    assert age == {
        "name": "age", "type": "numeric", "distinct": 2, "empty": 1,
        "min": 31.0, "max": 45.0, "mean": 38.0,
    }  # fmt: skip
    assert score["type"] == "text"  # one value is not a number


def test_csv_quoted_fields_and_tabs():
    table = summarize_csv('a\tb\n"x\ty"\t1\n"multi\nline"\t2\n')
    assert table["rows"] == 2
    assert table["column_summaries"][1]["mean"] == 1.5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("just one column\nof words\nper line\n", "at least two columns"),
        ("a,b,c\n" + "1,2,3\n" * 10 + "4,5\n", "line 12 has 2 fields"),
        ("a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields, the header has 3"),
        ("a,b,c\n1,2\n", "no delimiter"),
        ("a,b\n", "at least one data row"),
        ('a,b\n1,"unterminated\n2,3\n', "line"),
        ("It was late, and dark.\nThe night, it seems, was long, cold and wet.\nEnd.\n", "."),
    ],
)
def test_text_that_is_not_a_csv_is_refused(text, reason):
    with pytest.raises(CsvFormatError, match=reason):
        summarize_csv(text)


def test_the_delimiter_is_the_one_that_splits_header_and_first_row_alike():
    # Decimal commas in a semicolon-separated file, as spreadsheets in German write them.
    table = summarize_csv("Preis;Menge\n1,5;2\n2,25;3\n")
    assert (table["delimiter"], table["rows"], table["columns"]) == (";", 2, 2)
    assert summarize_csv("a|b\nx,y|z\n")["delimiter"] == "|"


def test_a_field_over_the_csv_modules_limit_is_refused_with_its_line():
    with pytest.raises(CsvFormatError, match="line 1: field larger than field limit"):
        summarize_csv("a" * 200_000 + ",b\n1,2\n")


@pytest.mark.parametrize("pattern", [",'", ',"', ";'", "'|"])
def test_quote_soup_that_stalled_csv_sniffer_is_refused(pattern):
    # csv.Sniffer spent about a second of CPU on 16 KB of ",'" (its regular expressions are
    # quadratic in the sample); the delimiter is now found from the first two rows only.
    with pytest.raises(CsvFormatError):
        summarize_csv(pattern * 8191 + "\n", with_columns=False)


def test_analyze_combines_text_statistics_and_csv_summary():
    data, stats = analyze("a,b\nfox,1\nfox,2\n", language="en", top_n=1, is_csv=True)
    assert data["top_terms"] == [{"term": "fox", "count": 2}]
    assert data["csv"]["rows"] == 2
    assert data["distinct_terms"] == len(stats.term_counts)
