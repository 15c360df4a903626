package web

import (
	"fmt"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
	"keyconsole/web/view"
)

// The usage chart's geometry, in SVG units: a bar a day, drawn by the
// server (no chart script), the numbers in each bar's title and in the
// table beside it.
const (
	chartDays   = 30
	chartLeft   = 44  // room for the scale
	chartBar    = 16  // a day's slot
	chartTop    = 10  // above the tallest bar
	chartPlot   = 120 // the tallest bar's height
	chartBottom = 26  // below the base line: the days
)

// usageChart draws the requests of the last chartDays days up to today,
// accepted and refused stacked, every day shown (a quiet one as nothing).
func usageChart(counts []apikey.UsageCount, today time.Time) view.UsageChart {
	accepted, refused := map[string]int{}, map[string]int{}
	for _, c := range counts {
		if c.Code == verify.Valid {
			accepted[c.Day] += c.Count
		} else {
			refused[c.Day] += c.Count
		}
	}
	ch := view.UsageChart{Width: chartLeft + chartDays*chartBar, Height: chartTop + chartPlot + chartBottom, Base: chartTop + chartPlot, Left: chartLeft}
	total := [2]int{}
	busiest := ""
	for i := range chartDays {
		day := today.AddDate(0, 0, i-chartDays+1).Format(time.DateOnly)
		a, r := accepted[day], refused[day]
		total[0], total[1] = total[0]+a, total[1]+r
		if a+r > ch.Max {
			ch.Max, busiest = a+r, day
		}
		ch.Bars = append(ch.Bars, view.UsageBar{Day: day, Accepted: a, Refused: r, X: chartLeft + i*chartBar + 2, Width: chartBar - 4})
	}
	for i := range ch.Bars {
		b := &ch.Bars[i]
		if ch.Max > 0 {
			b.AcceptedHeight = b.Accepted * chartPlot / ch.Max
			b.RefusedHeight = b.Refused * chartPlot / ch.Max
		}
		b.AcceptedY = ch.Base - b.AcceptedHeight
		b.RefusedY = b.AcceptedY - b.RefusedHeight
		b.Title = fmt.Sprintf("%s: %d accepted, %d refused", b.Day, b.Accepted, b.Refused)
	}
	ch.Summary = fmt.Sprintf("%d requests accepted and %d refused over the last %d days", total[0], total[1], chartDays)
	if busiest != "" {
		ch.Summary += fmt.Sprintf("; the busiest day was %s with %d", busiest, ch.Max)
	}
	ch.Summary += ". The table below gives every day's numbers."
	ch.First, ch.Last = ch.Bars[0].Day, ch.Bars[len(ch.Bars)-1].Day
	return ch
}
