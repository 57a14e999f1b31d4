package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		want   []string // the labelled ticks
	}{
		{"seconds", 0, 10, []string{"0", "2", "4", "6", "8", "10"}},
		{"three seconds", 0, 3, []string{"0", "0.5", "1", "1.5", "2", "2.5", "3"}},
		{"a little over four", 0, 4.0004, []string{"0", "1", "2", "3", "4"}},
		{"rates", 0, 270_000, []string{"0", "50k", "100k", "150k", "200k", "250k"}},
		{"milliseconds", 0, 5.5, []string{"0", "1", "2", "3", "4", "5"}},
		{"fractions", 0, 0.3, []string{"0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3"}},
		{"offset", 97, 103, []string{"97", "98", "99", "100", "101", "102", "103"}},
		{"negative", -1, 1, []string{"-1", "-0.5", "0", "0.5", "1"}},
		{"eight steps", 0, 8, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"}},
		{"a little over eight", 0, 8.001, []string{"0", "2", "4", "6", "8"}},
		{"empty", 5, 5, nil},
		{"reversed", 5, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range NiceTicks(tt.lo, tt.hi, SINumber) {
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("NiceTicks(%v, %v) labels = %q, want %q", tt.lo, tt.hi, got, tt.want)
			}
		})
	}
}

// checkTicks checks the ticks niceTicks puts on an axis from lo to hi:
// in range, ascending, three to nine labelled ones a 1-2-5 step apart,
// each label different.
func checkTicks(t *testing.T, lo, hi float64) {
	t.Helper()
	ticks := NiceTicks(lo, hi, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
	st := niceStep(lo, hi)
	eps := st * 1e-6
	var labelled []float64
	seen := map[string]bool{}
	for i, tk := range ticks {
		if tk.Value < lo-eps || tk.Value > hi+eps {
			t.Errorf("tick %v outside [%v, %v]", tk.Value, lo, hi)
		}
		if i > 0 && tk.Value <= ticks[i-1].Value {
			t.Errorf("ticks %v then %v do not rise", ticks[i-1].Value, tk.Value)
		}
		if tk.Label != "" {
			if seen[tk.Label] {
				t.Errorf("label %q twice", tk.Label)
			}
			seen[tk.Label] = true
			labelled = append(labelled, tk.Value)
		}
	}
	if n := len(labelled); n < 3 || n > maxTicks+1 {
		t.Fatalf("[%v, %v]: %d labelled ticks %v, want 3 to %d", lo, hi, n, labelled, maxTicks+1)
	}
	m := st / math.Pow10(int(math.Floor(math.Log10(st)+1e-9)))
	if !slices.ContainsFunc([]float64{1, 2, 5}, func(w float64) bool { return math.Abs(m-w) < 1e-6 }) {
		t.Errorf("[%v, %v]: step %v is not 1, 2 or 5 times a power of ten", lo, hi, st)
	}
	for i := 1; i < len(labelled); i++ {
		if d := labelled[i] - labelled[i-1]; math.Abs(d-st) > eps {
			t.Errorf("[%v, %v]: labelled ticks %v and %v are %v apart, want %v", lo, hi, labelled[i-1], labelled[i], d, st)
		}
	}
}

func FuzzNiceTicks(f *testing.F) {
	for _, c := range [][2]float64{{0, 1}, {0, 3.0004}, {0, 270_000}, {-1, 1}, {97, 103}, {1e-9, 2e-9}, {0, 1e300}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, lo, hi float64) {
		span := hi - lo
		if math.IsNaN(span) || math.IsInf(span, 0) || span <= 0 || span > 1e300 ||
			span < 1e-300 || span < 1e-9*max(math.Abs(lo), math.Abs(hi)) {
			return // no axis, or one float64 cannot tick
		}
		checkTicks(t, lo, hi)
	})
}

func TestDashes(t *testing.T) {
	line := []Pt{{0, 0}, {10, 0}, {10, 10}}
	tests := []struct {
		name string
		dash []float64
		want [][]Pt
	}{{
		name: "even",
		dash: []float64{4, 2},
		want: [][]Pt{{{0, 0}, {4, 0}}, {{6, 0}, {10, 0}}, {{10, 2}, {10, 6}}, {{10, 8}, {10, 10}}},
	}, {
		name: "round the corner",
		dash: []float64{8, 3, 2, 3},
		want: [][]Pt{{{0, 0}, {8, 0}}, {{10, 1}, {10, 3}}, {{10, 6}, {10, 10}}},
	}, {
		name: "solid",
		dash: []float64{0, 0},
		want: [][]Pt{line},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dashes(line, tt.dash)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("dashes(%v, %v) =\n%v, want\n%v", line, tt.dash, got, tt.want)
			}
		})
	}
}

// TestRasterise checks that the PNG back end draws where the SVG would:
// a dashed line's dashes and gaps, a rectangle's fill, text's ink.
func TestRasterise(t *testing.T) {
	red := color.RGBA{0xff, 0, 0, 0xff}
	c := &Canvas{W: 100, H: 50}
	c.line("line", Stroke{Color: red, Width: 2, Dash: []float64{10, 10}}, Pt{0, 10}, Pt{100, 10})
	c.Shapes = append(c.Shapes, Rect{Min: Pt{10, 30}, Max: Pt{20, 40}, Fill: red})
	c.text(Text{At: Pt{50, 45}, S: "88", Size: 10, Anchor: AnchorMiddle, Color: black})
	img := rasterise(c)
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Fatalf("image is %dx%d, want 200x100", b.Dx(), b.Dy())
	}
	for _, tt := range []struct {
		x, y int
		want color.RGBA
	}{
		{10, 20, red},    // in the first dash
		{30, 20, white},  // in the first gap
		{50, 20, red},    // in the second dash
		{10, 16, white},  // above the line: 2 points is 4 pixels
		{30, 70, red},    // in the rectangle
		{50, 70, white},  // beside it
		{100, 10, white}, // nothing drawn here
	} {
		if got := img.RGBAAt(tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
	// The text "88" is centred on x=100 pixels, above y=90.
	var inked int
	for y := 60; y < 90; y++ {
		for x := 80; x < 120; x++ {
			if img.RGBAAt(x, y).R < 0x80 {
				inked++
			}
		}
	}
	if inked < 50 {
		t.Errorf("the text left %d dark pixels, want some", inked)
	}
}

func TestNumberLabels(t *testing.T) {
	tests := []struct {
		v         float64
		si, plain string
	}{
		{0, "0", "0"},
		{0.30000000000000004, "0.3", "0.3"},
		{0.25, "0.25", "0.25"},
		{12.5, "12.5", "12.5"},
		{750, "750", "750"},
		{1500, "1.5k", "1500"},
		{12_500, "12.5k", "12500"},
		{3e6, "3M", "3000000"},
		{1.25e9, "1.25G", "1250000000"},
	}
	for _, tt := range tests {
		if got := SINumber(tt.v); got != tt.si {
			t.Errorf("SINumber(%v) = %q, want %q", tt.v, got, tt.si)
		}
		if got := PlainNumber(tt.v); got != tt.plain {
			t.Errorf("PlainNumber(%v) = %q, want %q", tt.v, got, tt.plain)
		}
	}
}

func BenchmarkDraw(b *testing.B) {
	p := &Plot{
		X:         Axis{Label: "time (s)", Max: 60, Ticks: LabelledTicks(PlainNumber)},
		Y:         Axis{Label: "bits per second", Ticks: LabelledTicks(SINumber)},
		YHeadroom: true,
		YMax:      10e9,
	}
	for i := range 4 {
		l := Line{Name: fmt.Sprint("stream ", i), Step: true, Stroke: SeriesStyle(i)}
		for s := range 61 {
			l.Pts = append(l.Pts, XY{float64(s), 9e9 + 1e8*math.Sin(float64(s+i))})
		}
		p.Lines = append(p.Lines, l)
	}
	b.Run("SVG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := WriteSVG(io.Discard, p.Draw(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PNG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := EncodePNG(io.Discard, p.Draw()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
