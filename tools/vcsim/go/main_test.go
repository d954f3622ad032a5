package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestParseFlagsRefusesNonLoopbackAndBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "0.0.0.0:0"},
		{"-listen", "10.1.2.3:8989"},
		{"-listen", "nonsense"},
		{"-model", "gsx"},
		{"-vm", "-1"},
		{"-idle-timeout", "-1s"},
		{"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
	o, err := parseFlags([]string{"-listen", "[::1]:0", "-model", "esx", "-vm", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if o.vms != 7 || o.model != "esx" {
		t.Errorf("unexpected options %+v", o)
	}
}

func TestRunPrintsOneLineServesAndStopsOnStdinEOF(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	errs := make(chan error, 1)
	go func() {
		errs <- run([]string{"-vm", "1"}, stdoutW, stdinR)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var r ready
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("not JSON: %q", line)
	}
	if !strings.HasSuffix(r.URL, "/sdk") || !strings.HasSuffix(r.PbmURL, "/pbm") || r.Username == "" {
		t.Fatalf("unexpected ready line %+v", r)
	}
	res, err := http.Get(strings.TrimSuffix(r.URL, "/sdk") + "/about")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/about: %d", res.StatusCode)
	}
	stdinW.Close()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(stdoutR); len(rest) != 0 {
		t.Fatalf("more than one line on stdout: %q", rest)
	}
}
