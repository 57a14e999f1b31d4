package chart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// InlineSVG draws p as an SVG element for an HTML page, with id and a
// title for screen readers (role="img", aria-label). WriteSVG escapes
// the text it draws, so the element can go into the page as it is.
func InlineSVG(p *Plot, id, title string) (string, error) {
	var buf bytes.Buffer
	attrs := [][2]string{{"id", id}, {"role", "img"}, {"aria-label", title}}
	if err := WriteSVG(&buf, p.Draw(), attrs); err != nil {
		return "", fmt.Errorf("draw %s: %w", id, err)
	}
	return buf.String(), nil
}

// A File is a chart to write as a PNG file of that name.
type File struct {
	Name string
	Plot *Plot // nil: nothing to draw, and no file
}

// WritePNGFiles draws each file's plot as a PNG in dir, creating dir if
// need be, and returns the paths written; a File without a Plot is left
// out.
func WritePNGFiles(dir string, files []File) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range files {
		if f.Plot == nil {
			continue
		}
		path := filepath.Join(dir, f.Name)
		if err := writePNGFile(path, f.Plot); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writePNGFile(path string, p *Plot) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriter(f)
	if err := EncodePNG(w, p.Draw()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
