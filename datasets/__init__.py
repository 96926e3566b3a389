"""Generated data sets shared by the benchmarks and the tests (labelled tickets, questions with
known answers, sentences): one module each, so neither side reaches into the other's files."""
