# Informes: la página, sus gráficos y tablas, y los rechazos de su formulario.

report-lead-admin = Conversaciones abiertas, cerradas y reabiertas, tiempos de primera respuesta y de resolución, y respuestas por conversación, en todo el espacio de trabajo.
report-lead-agent = Tus propias cifras y las de las bandejas de entrada de las que eres miembro.
report-settings = Opciones del informe
report-from = Desde
report-to = Hasta
report-group-by = Agrupar por
report-only = Solo
report-show = Mostrar
report-everyone = Todos
report-me = Yo
report-range = Del { $from } al { $to }, días en { $zone }; las semanas empiezan el lunes; «Solo» se aplica a días y semanas. Las medianas y los percentiles 90 (P90) son valores que se dieron (rango más cercano).
report-download-all = Descargar todo (CSV)
report-no-labels = Las conversaciones aún no tienen etiquetas, así que no hay nada que agrupar por etiqueta.
report-csv = CSV
report-csv-title = { $table }: descargar en CSV
report-totals = Totales
report-chart-title = { $title } (del { $from } al { $to })
report-nothing = Nada en este periodo
report-no-rows = No hay filas.

## Tablas y sus columnas

report-conversations = Conversaciones
report-first-response = Tiempo de primera respuesta
report-resolution = Tiempo de resolución
report-replies = Respuestas por conversación
report-opened = Abiertas
report-closed = Cerradas
report-reopened = Reabiertas
report-responses = Respuestas
report-median = Mediana
report-p90 = P90
report-p90-long = Percentil 90
report-total-first-response = Primera respuesta, mediana
report-total-resolution = Resolución, mediana
report-total-replies = Respuestas por conversación, mediana
report-p90-value = Percentil 90: { $value }

## Agrupaciones y filtros

report-by-day = Día
report-by-week = Semana
report-by-agent = Agente
report-by-team = Equipo
report-by-inbox = Bandeja de entrada
report-by-channel = Canal
report-by-label = Etiqueta
report-unassigned = Sin asignar
report-no-team = Sin equipo
report-week-of = Semana del { $date }

## Unidades de duración: "45 s", "12 min", "3 h", "2 d"

report-unit-s = s
report-unit-min = min
report-unit-h = h
report-unit-d = d

## Los rechazos del formulario

report-field = { $field ->
    [from] Desde
   *[to] Hasta
}
report-error-date = { report-field }: «{ $value }» no es una fecha. Usa AAAA-MM-DD, por ejemplo 2026-05-28.
report-error-order = «Desde» debe ser igual o anterior a «Hasta».
report-error-too-long = Un informe abarca como máximo { $days } días: elige un periodo más corto.
report-error-group-by = «{ $value }» no es una agrupación: elige día, semana, agente, equipo, bandeja de entrada, canal o etiqueta.
report-error-filter = «{ $value }» no es un filtro: elige uno de la lista «Solo».
report-error-filter-time = «Solo» se aplica al agrupar por día o por semana.
report-error-table = No existe esa tabla: usa conversations, first_response, resolution o replies.
