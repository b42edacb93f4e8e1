// The strict bundle is plotly.js built without eval (works under our CSP); its API is plotly.js's.
declare module 'plotly.js-strict-dist-min' {
  import Plotly from 'plotly.js'
  export default Plotly
}
